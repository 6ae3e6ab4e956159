// Package datagen fills a database with production-sized synthetic data.
//
// It compiles the value specs of a scenario (gofakeit generators, numbers,
// dates, references to other tables' keys, constants) into value functions,
// checks them against the catalog types of their columns before anything is
// written, and streams the rows into PostgreSQL with parallel binary COPY.
//
// Data is reproducible: rows are generated in chunks of ChunkRows, and chunk i
// of table T draws from a Faker seeded from (seed, T, i) only, so the same seed
// gives the same rows whatever the number of connections. datagen knows nothing
// about traffic or migrations; loadgen reuses Compile for query arguments.
package datagen
