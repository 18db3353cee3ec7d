import { describe, expect, it } from 'vitest';
import { readSellerDetails, readSettings } from '../../src/app/settings.js';

describe('seller details for invoice documents', () => {
  it('defaults to a demo seller without bank details (a customer must never pay into a made-up account)', () => {
    const s = readSellerDetails({});
    expect(s.seller).toMatchObject({ name: 'Tally Demo Company', email: 'billing@tally.example', taxId: null });
    expect(s.seller.addressLines).toHaveLength(3);
    expect(s.bankTransfer).toBeNull();
    expect(readSettings({}).seller).toEqual(s);
  });

  it('reads the seller, address lines split on |, tax ID and ACH instructions from the environment', () => {
    const s = readSellerDetails({
      TALLY_SELLER_NAME: 'Northwind Analytics, Inc.',
      TALLY_SELLER_ADDRESS: '548 Market Street | San Francisco, CA 94104 |United States',
      TALLY_SELLER_TAX_ID: '12-3456789',
      TALLY_SELLER_TAX_ID_LABEL: 'US EIN',
      TALLY_BANK_NAME: 'Example Bank',
      TALLY_BANK_ROUTING_NUMBER: '021000021',
      TALLY_BANK_ACCOUNT_NUMBER: '000123456789',
      TALLY_BANK_ACCOUNT_TYPE: 'Checking',
    });
    expect(s.seller).toEqual({
      name: 'Northwind Analytics, Inc.',
      addressLines: ['548 Market Street', 'San Francisco, CA 94104', 'United States'],
      email: null, // a real seller without an email gets none rather than the demo one
      taxId: { label: 'US EIN', value: '12-3456789' },
    });
    expect(s.bankTransfer).toEqual({
      bankName: 'Example Bank',
      accountHolder: 'Northwind Analytics, Inc.',
      routingNumber: '021000021',
      accountNumber: '000123456789',
      accountType: 'Checking',
      swift: null,
    });
  });

  it('refuses incomplete bank details, naming the missing variable', () => {
    expect(() => readSellerDetails({ TALLY_BANK_NAME: 'Example Bank', TALLY_BANK_ROUTING_NUMBER: '021000021' })).toThrow(
      expect.objectContaining({ code: 'invalid_setting', param: 'TALLY_BANK_ACCOUNT_NUMBER' }),
    );
  });
});
