/* Reading Pravah's data files from disk: calendars, workflow definitions and the directory seed,
 * into an engine. The only place the engine's inputs touch the file system.
 *
 * Ownership: pv_file_read gives the caller a malloc'd, NUL-terminated buffer. The loaders hand
 * what they parse to the engine or directory given. Errors go to err as "PATH: ..." or
 * "PATH:LINE: ...". */
#ifndef PRAVAH_FILES_H
#define PRAVAH_FILES_H

#include <stddef.h>

#include "pravah/directory.h"
#include "pravah/engine.h"

int pv_file_read(const char *path, char **out, size_t *len, char *err, size_t errlen);

/* Every .yaml file in dir, in name order. */
int pv_load_calendars(pv_engine_t *eng, const char *dir, char *err, size_t errlen);
int pv_load_definitions(pv_engine_t *eng, const char *dir, char *err, size_t errlen);
int pv_load_definition_file(pv_engine_t *eng, const char *path, char *err, size_t errlen);
int pv_load_directory_file(pv_directory_t *directory, const char *path, char *err, size_t errlen);

/* The standard layout: SCHEMAS/calendars, SCHEMAS/workflows, SCHEMAS/directory/haryana.yaml.
 * dir may be NULL when no directory is wanted. */
int pv_load_schemas(pv_engine_t *eng, pv_directory_t *dir, const char *schemas, char *err,
                    size_t errlen);

#endif
