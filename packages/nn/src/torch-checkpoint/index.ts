/** PyTorch's `torch.save` format, in both directions (weights only). */
export {
  parseTorchCheckpoint, serializeTorchCheckpoint, serializeTorchCheckpointSync,
  type ParseTorchCheckpointOptions, type TorchCheckpoint, type TorchSaveable,
} from './format.js';
export { loadTorchCheckpoint, saveTorchCheckpoint } from './node.js';
