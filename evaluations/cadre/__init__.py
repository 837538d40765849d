"""The cadre link (干部考核挂钩, docs/appraisals.md): each unit's yearly assessment sheet of its
cadres' integrity, where the residents' appraisal counts at its weight (seed 000: 30 %) beside
the parts the commission scores. A room of its own, as grievances' rooms are: `selectors`
(who sees a sheet, the arithmetic), `services` (one verb each, audited), `forms`, `views`,
`exports`; the models are in `evaluations.models`."""
