/*
 * junit.h - JUnit XML reports, the format CI systems read (GitHub Actions' test reporters,
 * GitLab, Jenkins): <testsuites> holding one <testsuite> per device (batch) or suite (test),
 * each holding one <testcase> per goal or case with its time, a <failure>, <error> or
 * <skipped> child when it did not pass, and <system-out> (the trajectory path). A case that
 * passed after a retry carries a "flaky" property and a Surefire-style <flakyFailure>.
 *
 * A report is built case by case (tl_junit_add), written (tl_junit_write), and read back
 * (tl_junit_parse, with expat) so that `taploop report merge` can combine the reports of
 * several shards. Strings are copied into the report.
 */
#ifndef TL_JUNIT_H
#define TL_JUNIT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/status.h"

typedef enum tl_junit_outcome {
    TL_JUNIT_PASSED,
    TL_JUNIT_FAILURE, /**< the goal or an assertion was not achieved */
    TL_JUNIT_ERROR,   /**< the case could not run to its end (device, network, ...) */
    TL_JUNIT_SKIPPED, /**< not run (interrupted) */
} tl_junit_outcome;

/** A test case. In a report every string is owned by the report; given to tl_junit_add() they
 * are borrowed and copied. NULL strings are left out. */
typedef struct tl_junit_case {
    const char *name;
    const char *classname;
    double time_s;
    tl_junit_outcome outcome;
    const char *type;          /**< the failure/error type (e.g. "max_steps") */
    const char *message;       /**< its one-line message */
    const char *body;          /**< its longer text */
    const char *system_out;    /**< e.g. "trajectory: DIR" */
    bool flaky;                /**< passed after a retry (written as a property) */
    const char *flaky_message; /**< a flaky pass: why its first attempt failed, written as
                                    Maven Surefire's <flakyFailure message=".."/> (Jenkins
                                    shows it); NULL for none */
} tl_junit_case;

typedef struct tl_junit_suite {
    char *name;      /**< owned */
    char *timestamp; /**< owned, ISO 8601, or NULL */
    tl_junit_case *cases;
    size_t n, cap;
} tl_junit_suite;

/** A report. Zero-initialise (or tl_junit_init), release with tl_junit_dispose(). */
typedef struct tl_junit_report {
    char *name; /**< owned, the <testsuites> name, or NULL */
    tl_junit_suite *suites;
    size_t n, cap;
} tl_junit_report;

/** Counts over a report. */
typedef struct tl_junit_totals {
    size_t tests, failures, errors, skipped;
    double time_s;
} tl_junit_totals;

/** Start an empty report named `name` (copied; may be NULL). @return TL_OK or TL_ENOMEM. */
int tl_junit_init(tl_junit_report *r, const char *name);

/** Release a report. NULL is accepted. */
void tl_junit_dispose(tl_junit_report *r);

/**
 * Add a case to the suite named `suite` (created at the end when new, with `timestamp`, which
 * may be NULL). Strings are copied. @return TL_OK or TL_ENOMEM.
 */
int tl_junit_add(tl_junit_report *r, const char *suite, const char *timestamp,
                 const tl_junit_case *c);

/** Counts of a suite (s != NULL) or of the whole report (s == NULL). */
tl_junit_totals tl_junit_count(const tl_junit_report *r, const tl_junit_suite *s);

/**
 * Append the report as an XML document: text is escaped, characters XML 1.0 forbids
 * (control characters, invalid UTF-8) become '?'. @return TL_OK or TL_ENOMEM.
 */
int tl_junit_write(const tl_junit_report *r, tl_buf *out);

/** Write the report to the file at path (atomically). @return TL_OK, TL_EIO, TL_ENOMEM. */
int tl_junit_save(const tl_junit_report *r, const char *path, tl_error *err);

/**
 * Read a JUnit XML document (the subset this file writes, and the usual variants: a lone
 * <testsuite> root, <failure>, <error>, <skipped>, <system-out>) and add its suites and cases
 * to r (a suite of the same name gets the cases appended). `name` names the input in errors.
 * @return TL_OK; TL_EPARSE naming the line and column of an XML error, or a document without
 *         <testsuites>/<testsuite>; TL_ENOMEM.
 */
int tl_junit_parse(tl_junit_report *r, const char *xml, size_t len, const char *name,
                   tl_error *err);

#endif
