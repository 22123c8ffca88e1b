// Work shared between threads: each takes tickets from a counter in memory that the host zeroed.

/** Take the next ticket from a shared counter (a plain increment in the unshared builds). */
@inline export function claim(counter: usize): i32 {
  if (ASC_FEATURE_THREADS) {
    return atomic.add<i32>(counter, 1);
  } else {
    const v = load<i32>(counter);
    store<i32>(counter, v + 1);
    return v;
  }
}
