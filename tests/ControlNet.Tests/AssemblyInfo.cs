// libtorch state is process-wide: the global RNG (manual_seed), the default device (the meta-device tests) and the
// thread count. Tests that seed, build on meta or count threads would race if classes ran in parallel, so they don't.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
