package pgtest

// EnvDatabaseURL names the environment variable that points tests at an
// existing PostgreSQL server instead of a throw-away cluster.
const EnvDatabaseURL = "GATEHOUSE_TEST_DATABASE_URL"
