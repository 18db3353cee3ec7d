/**
 * The text of a PDF, page by page, as a reader would copy it: pdfjs-dist (legacy build, for Node) extracts
 * the text items; items on one line are joined with a space and lines with a newline.
 */
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

interface Item {
  str: string;
  hasEOL: boolean;
}

const isItem = (x: unknown): x is Item => typeof x === 'object' && x !== null && 'str' in x && 'hasEOL' in x;

export async function pdfText(buffer: Uint8Array): Promise<string[]> {
  // pdfjs takes ownership of (detaches) the array it is given: hand it a copy.
  const data = new Uint8Array(buffer);
  const doc = await getDocument({ data, verbosity: 0, isEvalSupported: false, useSystemFonts: false }).promise;
  try {
    const pages: string[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items) {
        if (!isItem(item)) continue;
        text += item.str + (item.hasEOL ? '\n' : ' ');
      }
      pages.push(text.replace(/[ \t]+\n/g, '\n').replace(/ {2,}/g, ' ').trim());
      page.cleanup();
    }
    return pages;
  } finally {
    await doc.destroy();
  }
}
