export { LRScheduler, type SchedulerStateDict, type ScheduledGroup } from './lr-scheduler.js';
export { StepLR, type StepLROptions } from './step-lr.js';
export { MultiStepLR, type MultiStepLROptions } from './multi-step-lr.js';
export { ExponentialLR, type ExponentialLROptions } from './exponential-lr.js';
export { CosineAnnealingLR, type CosineAnnealingLROptions } from './cosine-annealing-lr.js';
export { LinearLR, type LinearLROptions } from './linear-lr.js';
export { OneCycleLR, type OneCycleLROptions } from './one-cycle-lr.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './reduce-lr-on-plateau.js';
