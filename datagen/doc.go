// Package datagen fills a database with production-sized synthetic data.
//
// Load reads the catalog of the baseline schema and plans every column of
// every table: the columns a scenario describes get its value specs
// (generators, refs, constants, each with a distribution), the others get
// valid values from their type, constraints and name (foreign keys draw
// from the parent's keys, unique columns get distinct values, simple CHECK
// constraints are kept, enums get their labels). Everything is checked, and
// a sample of rows tried against the constraints, before anything is
// written. Tables then load in foreign-key order, independent tables and
// the chunks of each table in parallel over several connections with binary
// COPY, rows generated while they are sent; indexes and constraints are
// dropped before and re-created (and validated) after, as pg_restore does;
// VACUUM (FREEZE) and ANALYZE finish.
//
// Data is reproducible: rows are generated in chunks of ChunkRows, and chunk i
// of table T draws from a Faker seeded from (seed, T, i) only, so the same seed
// gives the same rows whatever the number of connections. datagen knows nothing
// about traffic or migrations; the traffic's argument generators use Compile,
// whose distributions rank keys as loaded data does, so that hot rows in the
// data are hot rows in the traffic.
package datagen
