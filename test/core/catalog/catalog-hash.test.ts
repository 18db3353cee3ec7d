import { describe, expect, it } from 'vitest';
import { isSeq, parse, parseDocument, stringify } from 'yaml';
import { catalogOf, exampleText } from './helpers.js';

const base = catalogOf(exampleText()).hash;

/** Re-renders the example with every map's keys reversed, 4-space indentation, no comments and no anchors. */
function reversedKeys(text: string): string {
  const reverse = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(reverse);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverse(x)]));
    }
    return v;
  };
  return stringify(reverse(parse(text)), { indent: 4 });
}

describe('catalog hash', () => {
  it('is the same for the same text', () => {
    expect(catalogOf(exampleText()).hash).toBe(base);
  });

  it('ignores key order, indentation, comments and flow vs block style', () => {
    const reordered = reversedKeys(exampleText());
    expect(reordered).not.toBe(exampleText());
    expect(catalogOf(reordered).hash).toBe(base);

    const noComments = exampleText()
      .split('\n')
      .filter((l) => !/^\s*#/.test(l))
      .join('\n');
    expect(catalogOf(noComments).hash).toBe(base);
  });

  it('ignores how an amount is written and the order of products', () => {
    const respelled = exampleText().replace('{ up_to: 2000000, unit_amount: 0.005 }', "{ up_to: '2000000.0', unit_amount: '0.0050' }");
    expect(respelled).not.toBe(exampleText());
    expect(catalogOf(respelled).hash).toBe(base);

    const doc = parseDocument(exampleText());
    const products = doc.get('products');
    if (!isSeq(products)) throw new Error('products is not a list');
    products.items.reverse();
    expect(catalogOf(doc.toString()).hash).toBe(base);
  });

  it('changes when a price changes', () => {
    const cheaper = exampleText().replace('{ up_to: 2000000, unit_amount: 0.005 }', '{ up_to: 2000000, unit_amount: 0.0049 }');
    expect(cheaper).not.toBe(exampleText());
    expect(catalogOf(cheaper).hash).not.toBe(base);
  });

  it('changes with a tier boundary, a feature limit or a default plan', () => {
    const variants = [
      exampleText().replace('- { up_to: 5000, unit_amount: 0 }', '- { up_to: 6000, unit_amount: 0 }'),
      exampleText().replace('{ key: projects, name: Projects, limit: 1 }', '{ key: projects, name: Projects, limit: 2 }'),
      exampleText().replace('    default_plan: free\n    # default_paid_plan', '    default_plan: paid\n    # default_paid_plan'),
    ];
    for (const v of variants) {
      expect(v).not.toBe(exampleText());
      expect(catalogOf(v).hash).not.toBe(base);
    }
  });
});
