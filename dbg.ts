import { evalHalf } from './test/eval/demandEvalSet';
import { createPrng } from './src/sandbox/prng';
import { createOfflineDemandMatcher } from './src/domain/offlineDemandMatcher';
import { decidePlacement } from './src/domain/demandPlacement';
const [half, a, s] = [process.argv[2] as any, Number(process.argv[3]), Number(process.argv[4])];
const all = evalHalf(half); const ds = createPrng(20261201).sample(all, all.length);
const byArea = new Map<string, any[]>(); const m = createOfflineDemandMatcher();
(async () => { for (const d of ds) {
  const reqs = byArea.get(d.area) ?? []; byArea.set(d.area, reqs);
  const ranked = await m.rank(d, reqs);
  const p = decidePlacement(ranked, reqs, { autoLinkAt: a, suggestAt: s, linkToTerminal: false });
  if (p.action === 'create') reqs.push({ id: 'R-' + d.id, title: d.title, description: d.description, terminal: false, demands: [{ title: d.title, description: '' }], need: d.need, members: [d] });
  else { const r = reqs.find(r => r.id === p.requirementId); r.members.push(d); if (p.linkState === 'linked') r.demands.push({ title: d.title, description: '' });
    if (r.need !== d.need) console.log('WRONG', d.need, `"${d.title}"`, '->', r.need, `"${r.title}"`, p.reason); }
}
for (const [area, reqs] of byArea) for (const r of reqs) console.log(r.need.padEnd(28), r.members.map((x: any) => `${x.language}:${x.title}` + (x.need !== r.need ? '!!' : '')).join(' | '));
})();
