/**
 * Audio feature extraction on the host, as the hub's `WhisperFeatureExtractor` computes it from
 * `preprocessor_config.json`: audio padded (or truncated) to `chunk_length` seconds, a centred
 * short-time Fourier transform with reflect padding and a periodic Hann window, the power
 * spectrum with its last frame dropped, slaney mel filters, `log10(max(mel, 1e-10))`, a floor
 * 8 below each waveform's maximum, and `(x + 4) / 4`. The arithmetic is float64 (the hub's numpy
 * path; its torch path is float32 and agrees to about 1e-6), the features float32.
 */
import * as tl from '@tensile/core';
import type { Tensor } from '@tensile/core';
import { openSource, readJson, MissingFileError, type HubOptions, type ModelSource } from './hub.js';

/** The fields of a Whisper preprocessor_config.json this implementation reads. */
export interface FeatureExtractorConfig {
  feature_extractor_type?: string;
  /** Mel bins (80; 128 for whisper-large-v3). */
  feature_size?: number;
  sampling_rate?: number;
  hop_length?: number;
  n_fft?: number;
  /** Seconds every input is padded or truncated to. */
  chunk_length?: number;
  padding_value?: number;
  [key: string]: unknown;
}

/** Options of `WhisperFeatureExtractor.extract`. */
export interface ExtractOptions {
  /** The audio's sampling rate; when given it must be the extractor's (audio is not resampled). */
  samplingRate?: number;
  /** The device of `inputFeatures` (default: the current backend). */
  device?: string;
}

/** Mono audio samples, floats in [-1, 1]. */
export type AudioInput = Float32Array | Float64Array | readonly number[];

/**
 * transformers' `mel_filter_bank(num_frequency_bins, num_mel_filters, min_frequency, max_frequency,
 * sampling_rate, norm="slaney", mel_scale="slaney")`: triangular filters evenly spaced on the
 * slaney mel scale (linear below 1 kHz, logarithmic above), each scaled to unit area. Returns
 * `[numFrequencyBins, numMelFilters]` row-major, in float64.
 */
export function melFilterBank(numFrequencyBins: number, numMelFilters: number, minFrequency: number, maxFrequency: number, samplingRate: number): Float64Array {
  const logStep = 27 / Math.log(6.4);
  const toMel = (f: number) => (f >= 1000 ? 15 + Math.log(f / 1000) * logStep : (3 * f) / 200);
  const toHertz = (m: number) => (m >= 15 ? 1000 * Math.exp((m - 15) / logStep) : (200 * m) / 3);
  const melMin = toMel(minFrequency);
  const melMax = toMel(maxFrequency);
  const points = numMelFilters + 2;
  // np.linspace's endpoints are exact; the inner points are start + i * step.
  const filterFreqs = Array.from({ length: points }, (_, i) => toHertz(i === points - 1 ? melMax : melMin + i * ((melMax - melMin) / (points - 1))));
  const nyquist = Math.floor(samplingRate / 2);
  const fftFreqs = Array.from({ length: numFrequencyBins }, (_, i) => (i === numFrequencyBins - 1 ? nyquist : i * (nyquist / (numFrequencyBins - 1))));
  const bank = new Float64Array(numFrequencyBins * numMelFilters);
  for (let k = 0; k < numFrequencyBins; k++) {
    for (let m = 0; m < numMelFilters; m++) {
      const down = -(filterFreqs[m]! - fftFreqs[k]!) / (filterFreqs[m + 1]! - filterFreqs[m]!);
      const up = (filterFreqs[m + 2]! - fftFreqs[k]!) / (filterFreqs[m + 2]! - filterFreqs[m + 1]!);
      const enorm = 2 / (filterFreqs[m + 2]! - filterFreqs[m]!);
      bank[k * numMelFilters + m] = Math.max(0, Math.min(down, up)) * enorm;
    }
  }
  return bank;
}

interface Settings {
  nMels: number;
  samplingRate: number;
  hop: number;
  nFft: number;
  nSamples: number;
  frames: number;
  paddingValue: number;
}

function settingsOf(c: FeatureExtractorConfig, where: string): Settings {
  const int = (key: string, fallback: number) => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${where}: config field '${key}' must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const type = c.feature_extractor_type;
  if (type !== undefined && type !== 'WhisperFeatureExtractor') throw new Error(`${where}: feature_extractor_type '${String(type)}' is not supported (WhisperFeatureExtractor)`);
  const nMels = int('feature_size', 80);
  const samplingRate = int('sampling_rate', 16000);
  const hop = int('hop_length', 160);
  const nFft = int('n_fft', 400);
  const chunk = int('chunk_length', 30);
  const paddingValue = c.padding_value ?? 0;
  if (typeof paddingValue !== 'number') throw new Error(`${where}: config field 'padding_value' should be a number, got ${JSON.stringify(paddingValue)}`);
  // As the hub: n_samples and nb_max_frames follow from chunk_length (the stored copies are ignored).
  const nSamples = chunk * samplingRate;
  if (nSamples <= nFft / 2) throw new Error(`${where}: chunk_length ${chunk} s is too short for n_fft ${nFft}`);
  return { nMels, samplingRate, hop, nFft, nSamples, frames: Math.floor(nSamples / hop), paddingValue };
}

/**
 * Whisper's feature extractor: audio → log-mel `inputFeatures` `[batch, feature_size, frames]`
 * (80 x 3000 for 30 s at 16 kHz), what `WhisperForConditionalGeneration` reads.
 *
 * @example
 * ```ts
 * const extractor = await WhisperFeatureExtractor.fromPretrained('openai/whisper-tiny');
 * const { inputFeatures } = extractor.extract(samples, { samplingRate: 16000 }); // Float32Array at 16 kHz
 * ```
 */
export class WhisperFeatureExtractor {
  readonly config: Readonly<FeatureExtractorConfig>;
  /** `[1 + n_fft / 2, feature_size]` row-major float64: the hub's `mel_filters`, computed (a stored copy is ignored, as the hub ignores it). */
  readonly melFilters: Float64Array;
  private readonly s: Settings;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly window: Float64Array;

  constructor(config: FeatureExtractorConfig = {}) {
    if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new TypeError(`WhisperFeatureExtractor: config must be the object of preprocessor_config.json, got ${config === null ? 'null' : typeof config}`);
    this.s = settingsOf(config, 'WhisperFeatureExtractor');
    this.config = { ...config };
    const { nFft, nMels, samplingRate } = this.s;
    this.melFilters = melFilterBank(1 + Math.floor(nFft / 2), nMels, 0, 8000, samplingRate);
    // A direct DFT over precomputed [bin, sample] tables: n_fft 400 is not a power of two (a radix-2
    // FFT does not apply), and 201 x 400 products per frame, silent frames skipped, take about a
    // second for 30 s of audio.
    const bins = 1 + Math.floor(nFft / 2);
    this.cos = new Float64Array(bins * nFft);
    this.sin = new Float64Array(bins * nFft);
    for (let k = 0; k < bins; k++) {
      for (let i = 0; i < nFft; i++) {
        const angle = (2 * Math.PI * ((k * i) % nFft)) / nFft;
        this.cos[k * nFft + i] = Math.cos(angle);
        this.sin[k * nFft + i] = Math.sin(angle);
      }
    }
    // The periodic Hann window (torch.hann_window's default, np.hanning(n + 1)[:-1]).
    this.window = Float64Array.from({ length: nFft }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / nFft));
  }

  /** The extractor of a checkpoint: its preprocessor_config.json, from a directory, URL or hub repo id. */
  static async fromPretrained(source: string | ModelSource, options: HubOptions = {}): Promise<WhisperFeatureExtractor> {
    const src = typeof source === 'string' ? await openSource(source, options) : source;
    let config: FeatureExtractorConfig;
    try {
      config = await readJson<FeatureExtractorConfig>(src, 'preprocessor_config.json');
    } catch (e) {
      if (e instanceof MissingFileError) throw new Error(`WhisperFeatureExtractor.fromPretrained: ${src.description} has no preprocessor_config.json`, { cause: e });
      throw e;
    }
    try {
      return new WhisperFeatureExtractor(config);
    } catch (e) {
      throw new Error(`WhisperFeatureExtractor.fromPretrained: preprocessor_config.json of ${src.description}: ${(e as Error).message.replace(/^WhisperFeatureExtractor: /, '')}`, { cause: e });
    }
  }

  /** Samples per input (chunk_length x sampling_rate) and frames per feature row. */
  get nSamples(): number {
    return this.s.nSamples;
  }

  get frames(): number {
    return this.s.frames;
  }

  /** One waveform's log-mel features `[feature_size, frames]` row-major, float32. */
  logMel(audio: AudioInput, where = 'WhisperFeatureExtractor.logMel'): Float32Array {
    const { nFft, hop, nSamples, frames, nMels, paddingValue } = this.s;
    checkAudio(audio, where);
    // Padded or truncated to n_samples, in float32 first as the hub's np.asarray(..., float32).
    const x = new Float64Array(nSamples).fill(Math.fround(paddingValue));
    const n = Math.min(audio.length, nSamples);
    for (let i = 0; i < n; i++) x[i] = Math.fround(audio[i]!);
    const half = Math.floor(nFft / 2);
    // The centred frame t covers x[t * hop - half ..], reflected at both ends (no edge repeat).
    const at = (i: number) => x[i < 0 ? -i : i >= nSamples ? 2 * nSamples - 2 - i : i]!;
    const bins = half + 1;
    const power = new Float64Array(bins);
    const frame = new Float64Array(nFft);
    const out = new Float64Array(nMels * frames);
    const filters = this.melFilters;
    let max = -Infinity;
    for (let t = 0; t < frames; t++) {
      let silent = true;
      for (let i = 0; i < nFft; i++) {
        const v = at(t * hop - half + i) * this.window[i]!;
        frame[i] = v;
        if (v !== 0) silent = false;
      }
      if (silent) power.fill(0);
      else {
        const { cos, sin } = this;
        for (let k = 0; k < bins; k++) {
          let re = 0;
          let im = 0;
          const row = k * nFft;
          for (let i = 0; i < nFft; i++) {
            re += frame[i]! * cos[row + i]!;
            im += frame[i]! * sin[row + i]!;
          }
          power[k] = re * re + im * im; // the sign of the imaginary part does not matter here
        }
      }
      for (let m = 0; m < nMels; m++) {
        let s = 0;
        for (let k = 0; k < bins; k++) s += filters[k * nMels + m]! * power[k]!;
        const v = Math.log10(Math.max(s, 1e-10));
        out[m * frames + t] = v;
        if (v > max) max = v;
      }
    }
    const result = new Float32Array(out.length);
    for (let i = 0; i < out.length; i++) result[i] = (Math.max(out[i]!, max - 8) + 4) / 4;
    return result;
  }

  /**
   * Audio (one waveform, or a batch) → `{ inputFeatures }` float32 `[batch, feature_size, frames]`
   * on `options.device`: each waveform padded with `padding_value` or truncated to
   * `chunk_length` seconds, then `logMel`.
   */
  extract(audio: AudioInput | readonly AudioInput[], options: ExtractOptions = {}): { inputFeatures: Tensor } {
    const where = 'WhisperFeatureExtractor.extract';
    for (const key of Object.keys(options)) {
      if (key !== 'samplingRate' && key !== 'device') throw new Error(`${where}: unsupported option '${key}' (supported: samplingRate, device)`);
    }
    if (options.samplingRate !== undefined && options.samplingRate !== this.s.samplingRate) {
      throw new Error(`${where}: audio sampled at ${options.samplingRate} Hz, but this extractor reads ${this.s.samplingRate} Hz; resample it first`);
    }
    const batch = isBatch(audio) ? (audio as readonly AudioInput[]) : [audio as AudioInput];
    const { nMels, frames } = this.s;
    const data = new Float32Array(batch.length * nMels * frames);
    batch.forEach((a, i) => data.set(this.logMel(a, batch.length > 1 ? `${where}: audio ${i}` : where), i * nMels * frames));
    return { inputFeatures: tl.tidy(() => tl.tensor(data, { device: options.device }).reshape([batch.length, nMels, frames])) };
  }
}

function isBatch(audio: unknown): boolean {
  return Array.isArray(audio) && audio.length > 0 && typeof audio[0] !== 'number';
}

function checkAudio(audio: unknown, where: string): asserts audio is AudioInput {
  const ok = audio instanceof Float32Array || audio instanceof Float64Array || (Array.isArray(audio) && audio.every((v) => typeof v === 'number'));
  if (!ok) {
    const kind = audio === null ? 'null' : ArrayBuffer.isView(audio) ? audio.constructor.name : Array.isArray(audio) ? 'an array of non-numbers' : typeof audio;
    throw new TypeError(`${where}: audio must be float samples (Float32Array, Float64Array or number[] in [-1, 1]), got ${kind}; convert integer PCM by dividing by its full scale (32768 for int16)`);
  }
  if (audio.length === 0) throw new Error(`${where}: audio is empty`);
  for (let i = 0; i < audio.length; i++) {
    if (!Number.isFinite(audio[i])) throw new Error(`${where}: audio sample ${i} is ${audio[i]}, not finite`);
  }
}
