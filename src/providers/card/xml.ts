/**
 * Converge XML API bodies. A request is one flat `<txn>` element, sent as the
 * form field `xmldata` (developer.elavon.com, Converge "XML API"; ActiveMerchant
 * elavon.rb `commit`). An answer is either one `<txn>` (a transaction result,
 * or `errorCode`/`errorName`/`errorMessage`) or, for `txnquery`, a
 * `<txnlist>` holding `ssl_txn_count` and one `<txn>` per transaction
 * (Elavon's own Java model `ElavonTransactionSearchResponse`).
 *
 * Values are escaped here, never by callers: a cardholder named `<&>` must
 * reach Converge as text, not markup. Every value stays a string.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** One transaction: field name → raw string value. */
export type WireFields = Readonly<Record<string, string>>;

export type ConvergeAnswer =
  { readonly kind: 'txn'; readonly fields: WireFields } | { readonly kind: 'txnlist'; readonly count: string | null; readonly txns: readonly WireFields[] };

export class ConvergeXmlError extends Error {
  override readonly name = 'ConvergeXmlError';
}

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Characters XML 1.0 cannot carry at all. */
// eslint-disable-next-line no-control-regex -- these are exactly the characters XML 1.0 forbids
const NON_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

const parser = new XMLParser({
  preserveOrder: true, // keeps duplicates visible so they can be refused
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false, // no number coercion: "0921" stays "0921"
  trimValues: true,
  processEntities: true, // the five predefined entities only: DOCTYPEs are refused below
});

/** Own-property read, so a field named like an Object.prototype member is never confused with it. */
export function field(fields: WireFields, name: string): string | undefined {
  return Object.hasOwn(fields, name) ? fields[name] : undefined;
}

/** Escapes text for an XML element; characters XML cannot carry become spaces. */
export function escapeXmlText(value: string): string {
  return value.replace(NON_XML_CHARS, ' ').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** `{a: '1'}` → `<txn><a>1</a></txn>` (fields in the given order). */
export function buildTxnXml(fields: WireFields): string {
  return `<txn>${elements(fields)}</txn>`;
}

/** A `<txnlist>` answer as Converge writes it for `txnquery`. */
export function buildTxnListXml(txns: readonly WireFields[]): string {
  return `<txnlist><ssl_txn_count>${txns.length}</ssl_txn_count>${txns.map((txn) => buildTxnXml(txn)).join('')}</txnlist>`;
}

function elements(fields: WireFields): string {
  let xml = '';
  for (const [name, value] of Object.entries(fields)) {
    if (!FIELD_NAME.test(name)) throw new ConvergeXmlError(`invalid field name ${JSON.stringify(name)}`);
    xml += `<${name}>${escapeXmlText(value)}</${name}>`;
  }
  return xml;
}

/** Parses a Converge answer (or a request `<txn>`); throws ConvergeXmlError on anything else. */
export function parseConvergeXml(raw: string): ConvergeAnswer {
  const text = raw.trim();
  // A DOCTYPE could only precede the root; refusing it rules out entity expansion tricks.
  if (/<!DOCTYPE/i.test(text)) throw new ConvergeXmlError('DOCTYPE is not allowed');
  const validation = XMLValidator.validate(text);
  if (validation !== true) throw new ConvergeXmlError(`malformed XML at line ${validation.err.line}: ${validation.err.msg}`);
  const roots = elementsOf(asList(parser.parse(text)));
  const root = roots[0];
  if (roots.length !== 1 || root === undefined) throw new ConvergeXmlError('expected exactly one root element');
  if (root.name === 'txn') return { kind: 'txn', fields: leafFields(root) };
  if (root.name !== 'txnlist') throw new ConvergeXmlError(`unexpected root element <${root.name}>`);
  let count: string | null = null;
  const txns: WireFields[] = [];
  for (const child of elementsOf(root.children)) {
    if (child.name === 'txn') txns.push(leafFields(child));
    else if (child.name === 'ssl_txn_count') count = leafText(child);
  }
  return { kind: 'txnlist', count, txns };
}

interface ParsedElement {
  readonly name: string;
  readonly children: readonly unknown[];
}

/** The leaf children of a `<txn>`; nested groups (e.g. level-3 line items) are skipped. */
function leafFields(element: ParsedElement): WireFields {
  const values = new Map<string, string>();
  for (const child of elementsOf(element.children)) {
    if (!FIELD_NAME.test(child.name)) throw new ConvergeXmlError(`invalid field name ${JSON.stringify(child.name)}`);
    if (elementsOf(child.children).length > 0) continue;
    if (values.has(child.name)) throw new ConvergeXmlError(`duplicate field ${child.name}`);
    values.set(child.name, leafText(child));
  }
  return Object.fromEntries(values);
}

/** Elements of a preserveOrder node list; text between elements must be whitespace. */
function elementsOf(nodes: readonly unknown[]): ParsedElement[] {
  const found: ParsedElement[] = [];
  for (const node of nodes) {
    if (typeof node !== 'object' || node === null) throw new ConvergeXmlError('unexpected parser output');
    const text = textOf(node);
    if (text !== null) continue;
    const names = Object.keys(node).filter((key) => key !== ':@');
    const name = names[0];
    const children: unknown = name === undefined ? undefined : Object.getOwnPropertyDescriptor(node, name)?.value;
    if (names.length !== 1 || name === undefined) throw new ConvergeXmlError('unexpected parser output');
    found.push({ name, children: asList(children) });
  }
  return found;
}

function leafText(element: ParsedElement): string {
  let value = '';
  for (const node of element.children) {
    const text = typeof node === 'object' && node !== null ? textOf(node) : null;
    if (text !== null) value += text;
  }
  return value;
}

function asList(value: unknown): readonly unknown[] {
  if (!Array.isArray(value)) throw new ConvergeXmlError('unexpected parser output');
  return value;
}

function textOf(node: object): string | null {
  if (!Object.hasOwn(node, '#text')) return null;
  const text: unknown = Object.getOwnPropertyDescriptor(node, '#text')?.value;
  return typeof text === 'string' || typeof text === 'number' ? String(text) : null;
}
