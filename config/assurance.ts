/** The registry's identity assurance levels, lowest first (`policy.minAssurance` names one). */
export const ASSURANCE_LEVELS = ["simplified", "standard", "confirmed"] as const;

export type AssuranceLevel = (typeof ASSURANCE_LEVELS)[number];
