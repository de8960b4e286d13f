/**
 * WeChat Pay v2 bodies are flat `<xml>` documents: one root named `xml`
 * whose children are leaf elements, one per field (docs/providers.md). Every
 * value stays a string: 18-digit auth codes and 28-digit transaction ids do
 * not fit in a JS number, and signatures are computed over the raw text.
 */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

/** A WeChat request or response: field name → raw string value. */
export type WireFields = Readonly<Record<string, string>>;

export class WeChatXmlError extends Error {
  override readonly name = 'WeChatXmlError';
}

/** Field names are plain identifiers (appid, out_trade_no, refund_status_0, ...). */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Characters XML 1.0 cannot carry, not even inside CDATA. */
// eslint-disable-next-line no-control-regex -- these are exactly the characters XML 1.0 forbids
const NON_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const CDATA = '#cdata';

const builder = new XMLBuilder({ cdataPropName: CDATA, format: false, suppressEmptyNode: false });

const parser = new XMLParser({
  preserveOrder: true, // keeps duplicates and stray text visible so they can be rejected
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false, // no number coercion, ever
  trimValues: false, // values are signed as received
  processEntities: true, // only the five predefined entities: DOCTYPEs are refused below
});

/** Own-property read, so a field named like an Object.prototype member is never confused with it. */
export function field(fields: WireFields, name: string): string | undefined {
  return Object.hasOwn(fields, name) ? fields[name] : undefined;
}

/** `{a: '1'}` → `<xml><a><![CDATA[1]]></a></xml>` (fields in the given order). */
export function buildXml(fields: WireFields): string {
  const children: Record<string, { [CDATA]: string }> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (!FIELD_NAME.test(name)) throw new WeChatXmlError(`invalid field name ${JSON.stringify(name)}`);
    if (NON_XML_CHARS.test(value)) throw new WeChatXmlError(`field ${name} contains characters XML cannot carry`);
    children[name] = { [CDATA]: value };
  }
  return builder.build({ xml: children });
}

/** Parses a flat `<xml>` document; throws WeChatXmlError on anything else. */
export function parseXml(text: string): Record<string, string> {
  const rootAt = text.indexOf('<xml');
  const prolog = rootAt === -1 ? text : text.slice(0, rootAt);
  // A DOCTYPE can only precede the root; refusing it rules out entity expansion tricks.
  if (/<!DOCTYPE/i.test(prolog)) throw new WeChatXmlError('DOCTYPE is not allowed');
  const validation = XMLValidator.validate(text);
  if (validation !== true) {
    throw new WeChatXmlError(`malformed XML at line ${validation.err.line}: ${validation.err.msg}`);
  }
  const parsed: unknown = parser.parse(text);
  if (!isList(parsed)) throw new WeChatXmlError('unexpected parser output');

  const roots = elementsOf(parsed);
  const root = roots[0];
  if (roots.length !== 1 || root === undefined || root.name !== 'xml') {
    throw new WeChatXmlError('expected exactly one <xml> root element');
  }
  const values = new Map<string, string>();
  for (const child of elementsOf(root.children)) {
    if (!FIELD_NAME.test(child.name)) throw new WeChatXmlError(`invalid field name ${JSON.stringify(child.name)}`);
    if (values.has(child.name)) throw new WeChatXmlError(`duplicate field ${child.name}`);
    values.set(child.name, leafText(child));
  }
  return Object.fromEntries(values);
}

interface ParsedElement {
  readonly name: string;
  readonly children: readonly unknown[];
}

/** Elements of a preserveOrder node list; text between elements must be whitespace. */
function elementsOf(nodes: readonly unknown[]): ParsedElement[] {
  const elements: ParsedElement[] = [];
  for (const node of nodes) {
    if (typeof node !== 'object' || node === null) throw new WeChatXmlError('unexpected parser output');
    const text = textOf(node);
    if (text !== null) {
      if (text.trim() !== '') throw new WeChatXmlError('text outside of a field element');
      continue;
    }
    const names = Object.keys(node).filter((key) => key !== ':@'); // ':@' would hold attributes
    const name = names[0];
    const children: unknown = name === undefined ? undefined : Object.getOwnPropertyDescriptor(node, name)?.value;
    if (names.length !== 1 || name === undefined || !isList(children)) {
      throw new WeChatXmlError('unexpected parser output');
    }
    elements.push({ name, children });
  }
  return elements;
}

/** A leaf's text: adjacent text and CDATA sections concatenated. Nested elements are refused. */
function leafText(element: ParsedElement): string {
  let value = '';
  for (const node of element.children) {
    const text = typeof node === 'object' && node !== null ? textOf(node) : null;
    if (text === null) throw new WeChatXmlError(`field ${element.name} is not flat`);
    value += text;
  }
  return value;
}

/** Array.isArray without widening to any[]. */
function isList(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

function textOf(node: object): string | null {
  if (!Object.hasOwn(node, '#text')) return null;
  const text: unknown = Object.getOwnPropertyDescriptor(node, '#text')?.value;
  if (typeof text !== 'string') throw new WeChatXmlError('unexpected parser output');
  return text;
}
