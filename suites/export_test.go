package suites

// PathLabel is labelSafe for the self-test (package suites_test), which
// selects a deviation's specs by their scope labels.
var PathLabel = labelSafe
