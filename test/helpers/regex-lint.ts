/**
 * A small checker for regexes that must run in linear time on any input (issue 12, §5a).
 * It parses a pattern's `.source` and reports constructs that make a backtracking engine
 * super-linear:
 *
 * 1. nested quantifiers: a repeated group (`(...)+`, `(...){2,}`) holding an unbounded
 *    repeat (`(a+)+`, `(\w+\s?)*`), the classic exponential case;
 * 2. overlapping repeats in sequence: two unbounded repeats whose characters overlap, with
 *    nothing between them that must match a character outside the overlap (`\d+\s*\d+`,
 *    `\s*(?:x)?\s*$`): every split of a run is tried, n² per start;
 * 3. unguarded scans: an unbounded repeat that something after it can make fail, and that
 *    can be entered at every character of a run (nothing before it that its characters
 *    cannot match, no lookbehind saying "not in the middle of a run", no `^` or sticky
 *    flag): a global search then rescans the run from each start, n² (`[\w.]+@` on
 *    "aaaa…"). A repeat that ends the pattern is fine: it succeeds as soon as it has its
 *    minimum, and the search goes on after what it consumed.
 *
 * Character sets are approximated by a probe alphabet (ASCII, Vietnamese letters,
 * fullwidth forms, zero-width and other spaces, an emoji), each probe tested against the
 * atom with the pattern's own flags, so classes like `\p{L}` or `[^\s<>]` need no model.
 * "Unbounded" means no upper bound or one above 32.
 */

const PROBES = [
  ...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)),
  "\n",
  "\t",
  "\u00a0",
  "\u3000",
  "\u200b",
  "ă",
  "đ",
  "Đ",
  "ạ",
  "ế",
  "\u0301",
  "４",
  "Ｎ",
  "㎉",
  "é",
  "ß",
  "😭",
];
const UNBOUNDED = 32;

type CharSet = Set<string>;

interface Atom {
  t: "atom";
  src: string;
  chars: CharSet;
  min: number;
  max: number;
}
interface Group {
  t: "group";
  kind: "plain" | "lookahead" | "neglookahead" | "lookbehind" | "neglookbehind";
  alts: Node[][];
  min: number;
  max: number;
  capture: number | undefined;
}
interface Assertion {
  t: "assert";
  src: string;
}
type Node = Atom | Group | Assertion;

export interface Finding {
  rule: "nested-quantifier" | "overlapping-repeats" | "unguarded-scan";
  detail: string;
}

class Parser {
  private i = 0;
  private captures = 0;
  private readonly groupChars = new Map<number, CharSet>();

  constructor(
    private readonly src: string,
    private readonly flags: string,
  ) {}

  parse(): Node[][] {
    const alts = this.alternatives();
    if (this.i < this.src.length) throw new Error(`unbalanced ) at ${this.i} in /${this.src}/`);
    return alts;
  }

  private charsOf(atomSrc: string): CharSet {
    const re = new RegExp(`^(?:${atomSrc})$`, this.flags.replace(/[gy]/g, ""));
    return new Set(PROBES.filter((c) => re.test(c)));
  }

  private alternatives(): Node[][] {
    const alts: Node[][] = [[]];
    while (this.i < this.src.length) {
      const c = this.src[this.i];
      if (c === ")") break;
      if (c === "|") {
        this.i++;
        alts.push([]);
        continue;
      }
      const node = this.term();
      alts[alts.length - 1]?.push(node);
    }
    return alts;
  }

  private term(): Node {
    const s = this.src;
    const c = s[this.i] ?? "";
    if (c === "^" || c === "$") {
      this.i++;
      return { t: "assert", src: c };
    }
    if (c === "(") return this.quantified(this.group());
    if (c === "\\") {
      const esc = this.escape();
      if (esc === "\\b" || esc === "\\B") return { t: "assert", src: esc };
      const backref = /^\\(\d+)$/.exec(esc) ?? /^\\k<(\w+)>$/.exec(esc);
      if (backref) {
        const n = Number(backref[1]);
        const chars = this.groupChars.get(n) ?? new Set(PROBES);
        return this.quantified({ t: "atom", src: esc, chars, min: 1, max: 1 });
      }
      return this.quantified({ t: "atom", src: esc, chars: this.charsOf(esc), min: 1, max: 1 });
    }
    if (c === "[") {
      const start = this.i;
      this.i++;
      if (s[this.i] === "^") this.i++;
      if (s[this.i] === "]") this.i++;
      while (this.i < s.length && s[this.i] !== "]") this.i += s[this.i] === "\\" ? 2 : 1;
      this.i++;
      const cls = s.slice(start, this.i);
      return this.quantified({ t: "atom", src: cls, chars: this.charsOf(cls), min: 1, max: 1 });
    }
    // A literal character (a whole code point).
    const cp = s.codePointAt(this.i) ?? 0;
    const lit = String.fromCodePoint(cp);
    this.i += lit.length;
    return this.quantified({ t: "atom", src: lit === "." ? "." : lit, chars: this.charsOf(lit), min: 1, max: 1 });
  }

  private escape(): string {
    const s = this.src;
    const start = this.i;
    this.i += 2;
    const k = s[start + 1] ?? "";
    if ((k === "p" || k === "P") && s[this.i] === "{") this.i = s.indexOf("}", this.i) + 1;
    else if (k === "u" && s[this.i] === "{") this.i = s.indexOf("}", this.i) + 1;
    else if (k === "u") this.i += 4;
    else if (k === "x") this.i += 2;
    else if (k === "c") this.i += 1;
    else if (k === "k" && s[this.i] === "<") this.i = s.indexOf(">", this.i) + 1;
    else if (/[1-9]/.test(k)) while (/\d/.test(s[this.i] ?? "")) this.i++;
    return s.slice(start, this.i);
  }

  private group(): Group {
    const s = this.src;
    this.i++; // (
    let kind: Group["kind"] = "plain";
    let capture: number | undefined;
    if (s.startsWith("?:", this.i)) this.i += 2;
    else if (s.startsWith("?=", this.i)) [kind, this.i] = ["lookahead", this.i + 2];
    else if (s.startsWith("?!", this.i)) [kind, this.i] = ["neglookahead", this.i + 2];
    else if (s.startsWith("?<=", this.i)) [kind, this.i] = ["lookbehind", this.i + 3];
    else if (s.startsWith("?<!", this.i)) [kind, this.i] = ["neglookbehind", this.i + 3];
    else {
      capture = ++this.captures;
      if (s.startsWith("?<", this.i)) this.i = s.indexOf(">", this.i) + 1;
    }
    const alts = this.alternatives();
    if (s[this.i] !== ")") throw new Error(`unclosed group in /${s}/`);
    this.i++;
    const g: Group = { t: "group", kind, alts, min: 1, max: 1, capture };
    if (capture !== undefined) this.groupChars.set(capture, charsIn(g));
    return g;
  }

  private quantified<T extends Atom | Group>(node: T): T {
    const s = this.src;
    const q = s[this.i];
    let min = 1;
    let max = 1;
    if (q === "*") [min, max] = [0, Number.POSITIVE_INFINITY];
    else if (q === "+") [min, max] = [1, Number.POSITIVE_INFINITY];
    else if (q === "?") [min, max] = [0, 1];
    else if (q === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(s.slice(this.i));
      if (!m) return node;
      min = Number(m[1]);
      max = m[2] ? (m[3] ? Number(m[3]) : Number.POSITIVE_INFINITY) : min;
      this.i += m[0].length - 1;
    } else return node;
    this.i++;
    if (s[this.i] === "?") this.i++; // lazy: same cost
    node.min = min * node.min;
    node.max = max * node.max;
    return node;
  }
}

function charsIn(n: Node): CharSet {
  if (n.t === "atom") return n.chars;
  if (n.t === "assert" || n.kind !== "plain") return new Set();
  const out = new Set<string>();
  for (const alt of n.alts) for (const x of alt) for (const c of charsIn(x)) out.add(c);
  return out;
}

const unbounded = (n: Node) => n.t !== "assert" && (n.t === "atom" || n.kind === "plain") && n.max > UNBOUNDED;
const consuming = (n: Node) => n.t === "atom" || (n.t === "group" && n.kind === "plain");
const optional = (n: Node) => n.t !== "assert" && (n.t === "atom" || n.kind === "plain") && n.min === 0;

/** The node holds an unbounded repeat somewhere inside (or is one). */
function holdsUnbounded(n: Node): boolean {
  if (n.t === "assert") return false;
  if (unbounded(n)) return true;
  return n.t === "group" && n.alts.some((alt) => alt.some(holdsUnbounded));
}

function intersects(a: CharSet, b: CharSet): boolean {
  for (const c of a) if (b.has(c)) return true;
  return false;
}
function subset(a: CharSet, b: CharSet): boolean {
  for (const c of a) if (!b.has(c)) return false;
  return true;
}

const WORD = new Set(PROBES.filter((c) => /\w/.test(c)));

/** Where a node sits: its sequence, its index there, and the group's own place (none at the top or in a lookaround). */
interface Place {
  seq: Node[];
  at: number;
  parent: Place | undefined;
  /** The pattern is sticky and this is the top level: the match can only start at lastIndex. */
  anchored: boolean;
}

/**
 * Whether a repeat over `target` can only be entered near the start of a run of its
 * characters. Walking back from it: a required item it cannot match, `^`, a lookbehind
 * ruling out the run's characters, or `\b` before word characters close the case; an
 * overlapping item of bounded length moves the entry back at most that far (and its
 * characters join the run); an overlapping unbounded item or the pattern's start (not
 * sticky) leave it open.
 */
function guarded(target: CharSet, place: Place): boolean {
  const chars = new Set(target);
  let distance = 0;
  for (let p: Place | undefined = place; p; p = p.parent) {
    for (let k = p.at - 1; k >= 0; k--) {
      const n = p.seq[k];
      if (!n) continue;
      if (n.t === "assert") {
        if (n.src === "^") return true;
        if (n.src === "\\b" && subset(chars, WORD)) return true;
        continue;
      }
      if (n.t === "group" && n.kind === "neglookbehind") return subset(chars, charsIn({ ...n, kind: "plain" }));
      if (n.t === "group" && n.kind === "lookbehind") return !intersects(chars, charsIn({ ...n, kind: "plain" }));
      if (n.t === "group" && (n.kind === "lookahead" || n.kind === "neglookahead")) continue;
      const nc = charsIn(n);
      if (!intersects(chars, nc)) {
        if (!optional(n)) return true;
        continue;
      }
      distance += n.max;
      if (distance > UNBOUNDED) return false;
      for (const c of nc) chars.add(c);
    }
    if (!p.parent) return p.anchored;
  }
  return false;
}

export function lintRegex(re: RegExp): Finding[] {
  const findings: Finding[] = [];
  const sticky = re.flags.includes("y");
  const tree = new Parser(re.source, re.flags).parse();

  const walk = (alts: Node[][], trailing: boolean, parent: Place | undefined, inRepeat: boolean, top: boolean) => {
    for (const seq of alts) {
      seq.forEach((n, at) => {
        if (n.t === "assert") return;
        const place: Place = { seq, at, parent, anchored: top && sticky };
        const last = at === seq.length - 1;
        const isTrailing = trailing && last && !inRepeat;
        if (n.t === "group") {
          const look = n.kind !== "plain";
          const repeats = n.max > 1;
          if (!look && repeats && n.alts.some((alt) => alt.some(holdsUnbounded)))
            findings.push({
              rule: "nested-quantifier",
              detail: `/${re.source}/: a repeated group holds an unbounded repeat`,
            });
          // A lookaround is its own match (nothing in it is trailing: its failure makes the outside backtrack).
          if (look) walk(n.alts, false, undefined, false, false);
          else walk(n.alts, isTrailing && !repeats, place, inRepeat || repeats, top);
        }
        if (!unbounded(n) || isTrailing) return;
        const chars = charsIn(n);
        // Rule 3: a repeat entered mid-run.
        if (!guarded(chars, place))
          findings.push({
            rule: "unguarded-scan",
            detail: `/${re.source}/: ${src(n)} can start at any character of a run`,
          });
        // Rule 2: a later unbounded repeat overlapping this one, with nothing between that
        // must match a character outside the overlap. A required character this repeat
        // cannot match ends the search: the two runs cannot share characters.
        for (let k = at + 1; k < seq.length; k++) {
          const m = seq[k];
          if (!m || !consuming(m)) continue;
          const mc = charsIn(m);
          if (unbounded(m) && intersects(chars, mc)) {
            const overlap = new Set([...chars].filter((c) => mc.has(c)));
            const separated = seq
              .slice(at + 1, k)
              .some((x) => consuming(x) && !optional(x) && !intersects(charsIn(x), overlap));
            if (!separated)
              findings.push({ rule: "overlapping-repeats", detail: `/${re.source}/: ${src(n)} then ${src(m)}` });
            break;
          }
          if (!optional(m) && !intersects(mc, chars)) break;
        }
      });
    }
  };
  walk(tree, true, undefined, false, true);
  return findings;
}

function src(n: Node): string {
  if (n.t === "atom") return `${n.src}{${n.min},${n.max === Number.POSITIVE_INFINITY ? "" : n.max}}`;
  if (n.t === "group") return "(…)";
  return n.src;
}
