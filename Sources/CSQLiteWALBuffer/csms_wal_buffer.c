// A SQLite VFS shim that coalesces the writes of a WAL file between two syncs
// (docs/storage.md, "WAL write buffer").
//
// SQLite writes every WAL frame with two writes (the 24-byte frame header, then the page),
// each a `pwrite` system call, and a group commit of a few dozen station messages writes
// hundreds of frames. The shim keeps a connection's consecutive WAL writes in one buffer and
// hands them to the file system as one write when SQLite syncs the WAL, reads it, asks its
// size, truncates or closes it, when a write does not continue the buffered run, or when the
// buffer is full.
//
// Why this keeps SQLite's guarantees, for a connection at synchronous=FULL (the only one the
// store turns it on for):
// - Durability: a commit syncs the WAL (xSync) before COMMIT returns, and xSync writes the
//   buffer first; a write error fails the sync and so the commit, as it would have failed
//   the write.
// - Visibility: other connections (readers, the checkpointer, other processes) find frames
//   only through the wal-index header, which the committing connection updates after the
//   sync, behind a memory barrier (xShmBarrier on its main database file). The shim also
//   writes any buffered frames at that barrier, so even a connection that does not sync at
//   commit publishes no frame that is not in the file; it counts those flushes
//   (`unsynced_publications`). A write error there cannot fail the commit any more, which
//   is why the store turns the buffer on only at synchronous=FULL.
// - Order: writes reach the file in the order SQLite made them; a write that does not
//   continue the buffered run flushes the run first.
//
// Files other than WAL files pass through unchanged (one more indirect call).

#include "csms_wal_buffer.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <string.h>

typedef enum { KIND_OTHER = 0, KIND_MAIN = 1, KIND_WAL = 2 } FileKind;

typedef struct ShimFile ShimFile;

// The shim's file; the wrapped file lives in the same allocation, at REAL_OFFSET.
struct ShimFile {
    sqlite3_file base;
    sqlite3_file *real;
    FileKind kind;
    // MAIN: the capacity its WAL gets; WAL: this buffer's capacity (0: writes pass through).
    int capacity;
    // MAIN: its open WAL file, if any; WAL: its main database file, if known.
    ShimFile *wal;
    ShimFile *main;
    unsigned char *buffer;
    int used;
    sqlite3_int64 start;
    // WAL: an error of a flush at a barrier, returned by the next write or sync.
    int deferredError;
    csms_wal_buffer_stats stats;
};

#define REAL_OFFSET ((sizeof(ShimFile) + 15) & ~(size_t)15)

static sqlite3_vfs shimVfs;
static sqlite3_vfs *realVfs;
static const sqlite3_io_methods shimMethods;

// The most bytes handed to the wrapped file in one write. SQLite's unix VFS writes at most
// 0x1ffff bytes per call (it masks the length: a run of exactly 128 KiB would come back as
// a 0-byte write, i.e. SQLITE_FULL), so runs go in pieces of 124 KiB, 31 pages.
#define MAX_FILE_WRITE (124 * 1024)

// Writes the buffered run to the file; the buffer is empty afterwards, even on an error.
static int flushBuffer(ShimFile *f) {
    int rc = SQLITE_OK;
    for (int done = 0; done < f->used && rc == SQLITE_OK;) {
        int amount = f->used - done < MAX_FILE_WRITE ? f->used - done : MAX_FILE_WRITE;
        rc = f->real->pMethods->xWrite(f->real, f->buffer + done, amount, f->start + done);
        f->stats.file_writes++;
        done += amount;
    }
    f->used = 0;
    return rc;
}

// Flushes, then sets the capacity (and frees the buffer, allocated again on the next write).
static int setCapacity(ShimFile *f, int capacity) {
    int rc = flushBuffer(f);
    sqlite3_free(f->buffer);
    f->buffer = NULL;
    f->capacity = capacity < 0 ? 0 : capacity;
    return rc;
}

// Returns (and clears) the error of a flush at a barrier, if any.
static int takeDeferredError(ShimFile *f) {
    int rc = f->deferredError;
    f->deferredError = SQLITE_OK;
    return rc;
}

// Flushes before an operation that must see the file as SQLite wrote it.
static int flushWAL(ShimFile *f) {
    return f->kind == KIND_WAL ? flushBuffer(f) : SQLITE_OK;
}

static int shimClose(sqlite3_file *p) {
    ShimFile *f = (ShimFile *)p;
    int rc = flushWAL(f);
    if (f->kind == KIND_WAL && f->main != NULL) f->main->wal = NULL;
    if (f->kind == KIND_MAIN && f->wal != NULL) f->wal->main = NULL;
    sqlite3_free(f->buffer);
    f->buffer = NULL;
    int closeRC = f->real->pMethods->xClose(f->real);
    return rc != SQLITE_OK ? rc : closeRC;
}

static int shimRead(sqlite3_file *p, void *data, int amount, sqlite3_int64 offset) {
    ShimFile *f = (ShimFile *)p;
    int rc = flushWAL(f);
    if (rc != SQLITE_OK) return rc;
    return f->real->pMethods->xRead(f->real, data, amount, offset);
}

static int shimWrite(sqlite3_file *p, const void *data, int amount, sqlite3_int64 offset) {
    ShimFile *f = (ShimFile *)p;
    if (f->kind != KIND_WAL) return f->real->pMethods->xWrite(f->real, data, amount, offset);
    f->stats.writes++;
    if (f->deferredError != SQLITE_OK) return takeDeferredError(f);
    if (f->used > 0 && (offset != f->start + f->used || f->used + amount > f->capacity)) {
        int rc = flushBuffer(f);
        if (rc != SQLITE_OK) return rc;
    }
    if (f->capacity == 0 || amount > f->capacity) {
        f->stats.file_writes++;
        return f->real->pMethods->xWrite(f->real, data, amount, offset);
    }
    if (f->buffer == NULL) {
        f->buffer = sqlite3_malloc(f->capacity);
        if (f->buffer == NULL) {
            f->stats.file_writes++;
            return f->real->pMethods->xWrite(f->real, data, amount, offset);
        }
    }
    if (f->used == 0) f->start = offset;
    memcpy(f->buffer + f->used, data, (size_t)amount);
    f->used += amount;
    return SQLITE_OK;
}

static int shimTruncate(sqlite3_file *p, sqlite3_int64 size) {
    ShimFile *f = (ShimFile *)p;
    int rc = flushWAL(f);
    if (rc != SQLITE_OK) return rc;
    return f->real->pMethods->xTruncate(f->real, size);
}

static int shimSync(sqlite3_file *p, int flags) {
    ShimFile *f = (ShimFile *)p;
    if (f->kind == KIND_WAL && f->deferredError != SQLITE_OK) return takeDeferredError(f);
    int rc = flushWAL(f);
    if (rc != SQLITE_OK) return rc;
    return f->real->pMethods->xSync(f->real, flags);
}

static int shimFileSize(sqlite3_file *p, sqlite3_int64 *size) {
    ShimFile *f = (ShimFile *)p;
    int rc = flushWAL(f);
    if (rc != SQLITE_OK) return rc;
    return f->real->pMethods->xFileSize(f->real, size);
}

static int shimLock(sqlite3_file *p, int level) {
    ShimFile *f = (ShimFile *)p;
    return f->real->pMethods->xLock(f->real, level);
}

static int shimUnlock(sqlite3_file *p, int level) {
    ShimFile *f = (ShimFile *)p;
    return f->real->pMethods->xUnlock(f->real, level);
}

static int shimCheckReservedLock(sqlite3_file *p, int *result) {
    ShimFile *f = (ShimFile *)p;
    return f->real->pMethods->xCheckReservedLock(f->real, result);
}

static int shimFileControl(sqlite3_file *p, int op, void *arg) {
    ShimFile *f = (ShimFile *)p;
    if (f->kind == KIND_MAIN && op == CSMS_WAL_BUFFER_FCNTL_SET) {
        int capacity = *(int *)arg;
        f->capacity = capacity < 0 ? 0 : capacity;
        return f->wal != NULL ? setCapacity(f->wal, f->capacity) : SQLITE_OK;
    }
    if (f->kind == KIND_MAIN && op == CSMS_WAL_BUFFER_FCNTL_STATS) {
        csms_wal_buffer_stats *stats = (csms_wal_buffer_stats *)arg;
        if (f->wal != NULL) {
            *stats = f->wal->stats;
        } else {
            memset(stats, 0, sizeof(*stats));
        }
        return SQLITE_OK;
    }
    int rc = flushWAL(f);
    if (rc != SQLITE_OK) return rc;
    return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int shimSectorSize(sqlite3_file *p) {
    ShimFile *f = (ShimFile *)p;
    return f->real->pMethods->xSectorSize(f->real);
}

static int shimDeviceCharacteristics(sqlite3_file *p) {
    ShimFile *f = (ShimFile *)p;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int shimShmMap(sqlite3_file *p, int page, int pageSize, int extend, void volatile **mapped) {
    ShimFile *f = (ShimFile *)p;
    if (f->real->pMethods->iVersion < 2) return SQLITE_IOERR_SHMMAP;
    return f->real->pMethods->xShmMap(f->real, page, pageSize, extend, mapped);
}

static int shimShmLock(sqlite3_file *p, int offset, int n, int flags) {
    ShimFile *f = (ShimFile *)p;
    if (f->real->pMethods->iVersion < 2) return SQLITE_IOERR_SHMLOCK;
    return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

// The wal-index header is published behind this barrier: nothing of the WAL may stay
// buffered past it.
static void shimShmBarrier(sqlite3_file *p) {
    ShimFile *f = (ShimFile *)p;
    ShimFile *wal = f->kind == KIND_MAIN ? f->wal : NULL;
    if (wal != NULL && wal->used > 0) {
        wal->stats.unsynced_publications++;
        int rc = flushBuffer(wal);
        if (rc != SQLITE_OK && wal->deferredError == SQLITE_OK) wal->deferredError = rc;
    }
    if (f->real->pMethods->iVersion >= 2) f->real->pMethods->xShmBarrier(f->real);
}

static int shimShmUnmap(sqlite3_file *p, int deleteFlag) {
    ShimFile *f = (ShimFile *)p;
    if (f->real->pMethods->iVersion < 2) return SQLITE_OK;
    return f->real->pMethods->xShmUnmap(f->real, deleteFlag);
}

static int shimFetch(sqlite3_file *p, sqlite3_int64 offset, int amount, void **pointer) {
    ShimFile *f = (ShimFile *)p;
    if (f->real->pMethods->iVersion < 3) {
        *pointer = NULL;
        return SQLITE_OK;
    }
    int rc = flushWAL(f);
    if (rc != SQLITE_OK) return rc;
    return f->real->pMethods->xFetch(f->real, offset, amount, pointer);
}

static int shimUnfetch(sqlite3_file *p, sqlite3_int64 offset, void *pointer) {
    ShimFile *f = (ShimFile *)p;
    if (f->real->pMethods->iVersion < 3) return SQLITE_OK;
    return f->real->pMethods->xUnfetch(f->real, offset, pointer);
}

static const sqlite3_io_methods shimMethods = {
    3,
    shimClose,
    shimRead,
    shimWrite,
    shimTruncate,
    shimSync,
    shimFileSize,
    shimLock,
    shimUnlock,
    shimCheckReservedLock,
    shimFileControl,
    shimSectorSize,
    shimDeviceCharacteristics,
    shimShmMap,
    shimShmLock,
    shimShmBarrier,
    shimShmUnmap,
    shimFetch,
    shimUnfetch,
};

static int shimOpen(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *p, int flags, int *outFlags) {
    (void)vfs;
    ShimFile *f = (ShimFile *)p;
    memset(f, 0, sizeof(*f));
    f->real = (sqlite3_file *)((char *)p + REAL_OFFSET);
    f->real->pMethods = NULL;
    int rc = realVfs->xOpen(realVfs, name, f->real, flags, outFlags);
    // SQLite closes a file whose xOpen failed only when its methods are set.
    p->pMethods = f->real->pMethods != NULL ? &shimMethods : NULL;
    if (rc != SQLITE_OK || p->pMethods == NULL) return rc;
    if (flags & SQLITE_OPEN_MAIN_DB) {
        f->kind = KIND_MAIN;
    } else if ((flags & SQLITE_OPEN_WAL) && name != NULL) {
        f->kind = KIND_WAL;
        sqlite3_file *database = sqlite3_database_file_object(name);
        if (database != NULL && database->pMethods == &shimMethods) {
            ShimFile *main = (ShimFile *)database;
            if (main->kind == KIND_MAIN) {
                main->wal = f;
                f->main = main;
                f->capacity = main->capacity;
            }
        }
    }
    return rc;
}

static pthread_once_t installOnce = PTHREAD_ONCE_INIT;
static int installResult = SQLITE_ERROR;

static void install(void) {
    realVfs = sqlite3_vfs_find(NULL);
    if (realVfs == NULL) return;
    // Everything but the file objects is the wrapped VFS's (its methods ignore the VFS
    // pointer, or read only its app data, copied too).
    shimVfs = *realVfs;
    shimVfs.szOsFile = (int)(REAL_OFFSET + (size_t)realVfs->szOsFile);
    shimVfs.pNext = NULL;
    shimVfs.zName = "csms-wal-buffer";
    shimVfs.xOpen = shimOpen;
    installResult = sqlite3_vfs_register(&shimVfs, 1);
}

int csms_wal_buffer_install(void) {
    pthread_once(&installOnce, install);
    return installResult;
}
