// Neo4j's own Cypher front-end (parser + semantic analysis, compiled to JS) over statements.
// stdin: [{"query": "...", "parameters": ["name", ...]}, ...]
// stdout: one list per statement of {"severity": "error" | "warning", "message", "offset"}.
// Used by tests/cypher_gate.py; the language is Cypher 5, Neo4j 5's.
import { readFileSync } from 'node:fs';
import { lintCypherQuery, parseStatementsStrs } from '@neo4j-cypher/language-support';

const statements = JSON.parse(readFileSync(0, 'utf8'));
const findings = statements.map(({ query, parameters }) => {
  // Parameters sent with the statement are declared; one it uses but was never sent is an error.
  const schema = {
    parameters: Object.fromEntries(parameters.map((name) => [name, null])),
    defaultLanguage: 'CYPHER 5',
  };
  const { diagnostics } = lintCypherQuery(query, schema, {
    consoleCommandsEnabled: false,
  });
  const found = diagnostics.map((d) => ({
    severity: d.severity === 1 ? 'error' : 'warning',
    message: d.message,
    offset: d.offsets.start,
  }));
  if (parseStatementsStrs(query).length > 1) {
    // Neo4j runs one statement per query; ArcadeDB would run them all.
    found.push({ severity: 'error', message: 'Expected exactly one statement per query', offset: 0 });
  }
  return found;
});
process.stdout.write(JSON.stringify(findings));
