/**
 * `obj[key] = value` for keys read from a file, safe for a key named `__proto__` (which an
 * assignment would take as the prototype). Shared by the safetensors and torch.save readers.
 */
export function putOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
