#!/usr/bin/env node
// Prints the API table of docs/COMPATIBILITY.md from the compiled handler table (run `npm run build` first).
const { handlerTable } = await import('../dist/src/handlers/index.js');
console.log('| API | key | versions | flexible from |');
console.log('|---|---|---|---|');
for (const h of [...handlerTable().values()].sort((a, b) => a.api.apiKey - b.api.apiKey)) {
  console.log(`| ${h.api.name} | ${h.api.apiKey} | ${h.versionMin}-${h.versionMax} | ${h.api.flexibleMin ?? '-'} |`);
}
