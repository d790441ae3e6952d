// The site view: gate cards, lanes, alarms, actions and the person search.
export function startSite() {}
