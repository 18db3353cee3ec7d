import { describe, expect, it } from 'vitest';
import { readSettings } from '../../src/app/settings.js';
import { privateNetworksSetting, refusedAddress, refusedDestination } from '../../src/billing/webhooks/destination-policy.js';

describe('webhook destinations', () => {
  it('always refuses link-local (cloud metadata), unspecified and multicast addresses, in any spelling', () => {
    for (const a of ['169.254.169.254', '169.254.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', 'fe80::1', '::', 'ff02::1', 'fd00:ec2::254', '::ffff:169.254.169.254']) {
      expect(refusedAddress(a, 'allow'), a).toMatch(/link-local, unspecified or multicast/);
    }
  });

  it('allows loopback and private networks by default and refuses them under deny; public addresses always go', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1', '::1', 'fd12::1', '::ffff:10.0.0.1']) {
      expect(refusedAddress(a, 'allow'), a).toBeNull();
      expect(refusedAddress(a, 'deny'), a).toMatch(/loopback or private/);
    }
    for (const a of ['93.184.216.34', '172.32.0.1', '8.8.8.8', '2606:4700::1111']) {
      expect(refusedAddress(a, 'deny'), a).toBeNull();
    }
  });

  it('checks every address a host name resolves to, and address literals in URLs without a lookup', async () => {
    const resolver = (answers: Record<string, string[]>) => async (host: string) => {
      const a = answers[host];
      if (!a) throw new Error(`ENOTFOUND ${host}`);
      return a;
    };
    const lookup = resolver({ 'hooks.example.com': ['93.184.216.34'], 'sneaky.example.com': ['93.184.216.34', '169.254.169.254'], 'internal.example.com': ['10.0.0.5'] });
    expect(await refusedDestination('https://hooks.example.com/x', 'deny', lookup)).toBeNull();
    expect(await refusedDestination('https://sneaky.example.com/x', 'allow', lookup)).toBe('sneaky.example.com resolves to 169.254.169.254 is a link-local, unspecified or multicast address');
    expect(await refusedDestination('https://internal.example.com/x', 'allow', lookup)).toBeNull();
    expect(await refusedDestination('https://internal.example.com/x', 'deny', lookup)).toMatch(/^internal\.example\.com resolves to 10\.0\.0\.5 is a loopback or private address/);
    const never = async () => {
      throw new Error('no lookup for literals');
    };
    expect(await refusedDestination('http://169.254.169.254/latest/meta-data/', 'allow', never)).toMatch(/^169\.254\.169\.254 is a link-local/);
    expect(await refusedDestination('http://[::1]:8080/hook', 'deny', never)).toMatch(/^::1 is a loopback/);
    // A name that does not resolve is left to the request, which fails with the resolver's error.
    expect(await refusedDestination('https://nowhere.example.com/x', 'deny', lookup)).toBeNull();
  });

  it('reads TALLY_WEBHOOK_PRIVATE_NETWORKS (allow by default), and a bad value stops start-up naming it', () => {
    expect(privateNetworksSetting({})).toBe('allow');
    expect(privateNetworksSetting({ TALLY_WEBHOOK_PRIVATE_NETWORKS: ' Deny ' })).toBe('deny');
    expect(privateNetworksSetting({ TALLY_WEBHOOK_PRIVATE_NETWORKS: 'allow' })).toBe('allow');
    expect(() => readSettings({ TALLY_WEBHOOK_PRIVATE_NETWORKS: 'denyy' })).toThrow(
      expect.objectContaining({ code: 'invalid_setting', param: 'TALLY_WEBHOOK_PRIVATE_NETWORKS', message: "TALLY_WEBHOOK_PRIVATE_NETWORKS must be 'allow' or 'deny', got 'denyy'." }),
    );
    expect(readSettings({ TALLY_WEBHOOK_PRIVATE_NETWORKS: 'deny' }).port).toBe(4242);
  });
});
