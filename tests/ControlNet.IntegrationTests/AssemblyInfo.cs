// These tests drive dotnet build/pack/publish on the same projects; run them one at a time so they never race on obj/.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
