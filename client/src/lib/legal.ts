/**
 * The accessibility status the footer and the declaration show. « non conforme » by the RGAA's
 * rule: without a complete audit against the RGAA, a service may claim no better, whatever its
 * automated checks find. Change it only with an audit's result (and its date in the declaration).
 */
export const ACCESSIBILITY_STATUS = 'non conforme';
