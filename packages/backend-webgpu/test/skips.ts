/** Conformance cases the webgpu backend skips, each with its reason (none today). */
export const SKIPS: Record<string, string> = {};
