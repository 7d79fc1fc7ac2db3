export { CheckRule, DEFAULT_STORAGE_CLASSES, checkObjects, formatProblem } from './check';
export type { CheckOptions, Problem } from './check';
export { appObjects, checkApp } from './app';
export type { Manifest, Metadata, SynthObject } from './objects';
export { quotaUse } from './quota';
export type { QuotaLimits, QuotaName, QuotaUse } from './quota';
export { Mega8sValidation } from './validation';
export type { Mega8sValidationProps, ValidationContext, ValidationViolation, ValidationViolatingResource } from './validation';
