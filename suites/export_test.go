package suites

// PathLabel is labelSafe for the self-test (package suites_test), which
// selects a deviation's specs by their scope labels.
var PathLabel = labelSafe

// Mistyped is the key AUTH-2 sends mistyped, for the self-test's check that
// no output holds it in full (it is all but the run's key).
var Mistyped = mistyped

// BasicCredentials is what AUTH-4's Basic probe carries (the key, encoded):
// no output may hold it either.
var BasicCredentials = basicCredentials
