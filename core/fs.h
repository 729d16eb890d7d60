/*
 * fs.h - file helpers: bounded whole-file reads, atomic writes, directories, the state directory.
 */
#ifndef TL_FS_H
#define TL_FS_H

#include <stddef.h>

#include "core/buf.h"
#include "core/status.h"

/**
 * Read a whole file into `out` (appended; `out` must be initialised). Files larger than `max`
 * bytes are refused. "-" reads standard input.
 * @return TL_OK; TL_EIO (cannot open/read, or larger than max) with the path and the reason.
 */
int tl_file_read(tl_buf *out, const char *path, size_t max, tl_error *err);

/**
 * Write `len` bytes to `path` atomically: a temporary file in the same directory, fsync'ed and
 * renamed over the target. @return TL_OK or TL_EIO naming the path and the reason.
 */
int tl_file_write(const char *path, const void *data, size_t len, tl_error *err);

/** Create a directory and its parents (mode 0700 for new ones). @return TL_OK or TL_EIO. */
int tl_mkdir_p(const char *path, tl_error *err);

/**
 * The per-user state directory of taploop: $XDG_STATE_HOME/taploop, else
 * $HOME/.local/state/taploop (created if missing). Written into out (size bytes).
 * @return TL_OK, TL_EUSAGE when neither variable is set, TL_EIO when it cannot be created.
 */
int tl_state_dir(char *out, size_t size, tl_error *err);

/**
 * Take an exclusive advisory lock on `path` (created if missing), waiting for other processes.
 * @return a descriptor to pass to tl_file_unlock(), or -1 with TL_EIO in err.
 */
int tl_file_lock(const char *path, tl_error *err);

/** Release a lock from tl_file_lock(); -1 is accepted. */
void tl_file_unlock(int fd);

#endif
