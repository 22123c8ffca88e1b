/** Safetensors: Hugging Face's tensor file format, in both directions. */
export {
  parseSafetensors, parseSafetensorsHeader, serializeSafetensors, serializeSafetensorsSync,
  type ParseSafetensorsOptions, type SafetensorsDType, type SafetensorsFile, type SafetensorsTensorInfo,
} from './format.js';
export { loadSafetensors, saveSafetensors } from './node.js';
