// The browser libraries of the review page, exposed to static/app.js as `window.AiEtlVendor`.
// Bundled by build.mjs from the versions in package-lock.json; nothing is fetched at run time.
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import { PostgreSQL } from "@codemirror/lang-sql";
import { yamlLanguage } from "@codemirror/lang-yaml";
import {
  bracketMatching,
  foldGutter,
  HighlightStyle,
  indentOnInput,
  LanguageSupport,
  syntaxHighlighting,
} from "@codemirror/language";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { Compartment, EditorState } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import dagre from "@dagrejs/dagre";
import { parseMixed } from "@lezer/common";
import { tags } from "@lezer/highlight";

// Colours come from the page's CSS variables, so the editors follow Airflow's light and dark modes.
const highlightStyle = HighlightStyle.define([
  { tag: [tags.keyword, tags.operatorKeyword, tags.bool, tags.null], color: "var(--tok-keyword)", fontWeight: "600" },
  { tag: [tags.string, tags.special(tags.string), tags.content], color: "var(--tok-string)" },
  { tag: [tags.comment, tags.lineComment, tags.blockComment], color: "var(--tok-comment)", fontStyle: "italic" },
  { tag: [tags.number, tags.integer, tags.float], color: "var(--tok-number)" },
  { tag: [tags.definition(tags.variableName), tags.function(tags.definition(tags.variableName))], color: "var(--tok-def)" },
  { tag: [tags.propertyName, tags.definition(tags.propertyName)], color: "var(--tok-def)", fontWeight: "600" },
  { tag: [tags.standard(tags.variableName), tags.typeName], color: "var(--tok-builtin)" },
  { tag: [tags.meta, tags.annotation, tags.processingInstruction], color: "var(--tok-decorator)" },
]);

const theme = EditorView.theme({
  "&": { backgroundColor: "var(--bg-subtle)", color: "var(--fg)", border: "1px solid var(--border)", borderRadius: "var(--radius)", fontSize: "12.5px" },
  "&.cm-focused": { outline: "2px solid var(--brand)", outlineOffset: "-1px" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.45", maxHeight: "560px", overflow: "auto" },
  ".cm-gutters": { backgroundColor: "var(--bg-subtle)", color: "var(--fg-muted)", borderRight: "1px solid var(--border)" },
  ".cm-activeLine, .cm-activeLineGutter": { backgroundColor: "var(--bg-muted)" },
  ".cm-content": { caretColor: "var(--fg)" },
  ".cm-tooltip": { backgroundColor: "var(--bg)", color: "var(--fg)", border: "1px solid var(--border)" },
});

// SQL inside a spec: the value of any key ending in "sql" (`sql: |` blocks and one-line values)
// is parsed and highlighted as SQL within the YAML.
const sqlParser = PostgreSQL.language.parser;
const SQL_KEY = /sql$/i;

function sqlValue(node, input) {
  if (node.name !== "BlockLiteralContent" && node.name !== "Literal" && node.name !== "QuotedLiteral") {
    return null;
  }
  let pair = node.node.parent;
  while (pair && pair.name !== "Pair") pair = pair.parent;
  const key = pair && pair.getChild("Key");
  if (!key || key.from >= node.from) return null;
  return SQL_KEY.test(input.read(key.from, key.to).trim()) ? { parser: sqlParser } : null;
}

const specLanguage = new LanguageSupport(yamlLanguage.configure({ wrap: parseMixed(sqlValue) }));

const LANGUAGES = { yaml: () => specLanguage, python: () => python() };

/**
 * An editor in `parent`: line numbers, highlighting, folding, and inline findings.
 * Returns { view, setReadOnly(flag), getDoc(), setDoc(text), showFindings([{line, message, severity}]) }.
 */
export function createEditor(parent, { doc = "", language = "yaml", readOnly = false, label = "", onChange } = {}) {
  const editable = new Compartment();
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        foldGutter(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        highlightActiveLine(),
        syntaxHighlighting(highlightStyle),
        theme,
        lintGutter(),
        keymap.of([indentWithTab, ...defaultKeymap, ...historyKeymap]),
        LANGUAGES[language](),
        editable.of([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]),
        EditorView.contentAttributes.of({ "aria-label": label }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged && onChange) onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
  return {
    view,
    setReadOnly(flag) {
      view.dispatch({ effects: editable.reconfigure([EditorState.readOnly.of(flag), EditorView.editable.of(!flag)]) });
    },
    getDoc: () => view.state.doc.toString(),
    setDoc(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    showFindings(findings) {
      const doc = view.state.doc;
      const diagnostics = findings.map((f) => {
        const line = doc.line(Math.min(Math.max(f.line || 1, 1), doc.lines));
        return { from: line.from, to: line.to, severity: f.severity || "error", message: f.message };
      });
      view.dispatch(setDiagnostics(view.state, diagnostics));
    },
  };
}

/**
 * Layered layout of a directed graph (dagre): nodes [{id, width, height}], edges [[from, to]].
 * Returns { width, height, nodes: {id: {x, y}} (centres), edges: [{from, to, points: [{x, y}]}] }.
 */
export function layoutGraph(nodes, edges, { direction = "LR", nodeSep = 30, rankSep = 60 } = {}) {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: direction, nodesep: nodeSep, ranksep: rankSep, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: n.width, height: n.height });
  edges.forEach(([from, to], i) => g.setEdge(from, to, {}, `e${i}`));
  dagre.layout(g);
  const placed = {};
  for (const id of g.nodes()) placed[id] = { x: g.node(id).x, y: g.node(id).y };
  const routed = g.edges().map((e) => ({ from: e.v, to: e.w, points: g.edge(e).points }));
  const graph = g.graph();
  return { width: graph.width || 0, height: graph.height || 0, nodes: placed, edges: routed };
}
