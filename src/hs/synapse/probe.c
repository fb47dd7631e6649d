/* SPDX-License-Identifier: Apache-2.0 */
/* Is Synapse running on its database? PostgreSQL: other sessions on it.
 * SQLite: a running Synapse holds SQLite's locks, which another process
 * sees with fcntl(F_GETLK): a read lock on the "DMS" byte of the -shm file
 * (WAL mode) and on the shared range of the database file. A crashed Synapse
 * leaves -wal and -shm behind but no lock: not running. */
#include "synapse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"

/* SQLite's locking bytes: the -shm file's DMS byte, the database's shared range */
#define SHM_DMS 128
#define SHARED_FIRST 0x40000002L
#define SHARED_SIZE 510

/* A descriptor of PATH to ask about locks with. It stays open until the
 * process ends: closing any descriptor of a file drops every POSIX lock
 * this process holds on it, SQLite's own included, and a connection that
 * lost its locks can have its WAL deleted under it by another process's
 * last close (src/db/sqlite.c). One per file, a few files per run. */
static int probe_fd(const char *path)
{
	static struct {
		dev_t dev;
		ino_t ino;
		int fd;
	} kept[16];
	static int nkept;
	struct stat st;
	int fd;
	if (stat(path, &st) < 0)
		return -1;
	for (int i = 0; i < nkept; i++)
		if (kept[i].dev == st.st_dev && kept[i].ino == st.st_ino)
			return kept[i].fd;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0 && nkept < (int)(sizeof(kept) / sizeof(kept[0]))) {
		kept[nkept].dev = st.st_dev;
		kept[nkept].ino = st.st_ino;
		kept[nkept++].fd = fd;
	}
	return fd;
}

/* The pid of another process holding a lock on [START, START+LEN) of PATH,
 * 0 if none, -1 if PATH cannot be read. */
static long holder(const char *path, off_t start, off_t len)
{
	struct flock fl;
	int fd = probe_fd(path);
	long pid = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK; /* would a write lock conflict with anything? */
	fl.l_whence = SEEK_SET;
	fl.l_start = start;
	fl.l_len = len;
	if (fcntl(fd, F_GETLK, &fl) < 0)
		pid = -1;
	else if (fl.l_type != F_UNLCK)
		pid = fl.l_pid;
	return pid;
}

int synapse_probe_file(const char *path, char *who, size_t n)
{
	char shm[4096 + 8], wal[4096 + 8];
	long pid;
	snprintf(shm, sizeof(shm), "%s-shm", path);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	pid = holder(shm, SHM_DMS, 1);
	if (pid == 0)
		pid = holder(path, SHARED_FIRST, SHARED_SIZE);
	if (pid > 0) {
		snprintf(who, n, "pid %ld holds a lock on the file", pid);
		return 1;
	}
	if (pid < 0) {
		snprintf(who, n, "cannot probe the file's locks: %s", strerror(errno));
		return -1;
	}
	if (access(wal, F_OK) == 0 || access(shm, F_OK) == 0)
		snprintf(who, n, "no process holds the file's locks; the -wal/-shm files left by a process that "
			 "stopped without closing it (a crash) are replayed at the next start");
	else
		snprintf(who, n, "no process holds the file's locks");
	return 0;
}

int synapse_probe_running(struct hs *h, db *d, char *who, size_t n)
{
	db_rows *r;
	long long count;
	int rc;
	if (h && SYN(h) && d == h->db && db_kind(d) == DB_SQLITE) {
		/* probed once, when the file was opened */
		snprintf(who, n, "%s", SYN(h)->who);
		return SYN(h)->running;
	}
	if (db_kind(d) == DB_SQLITE)
		return synapse_probe_file(db_path(d), who, n);
	if (!(r = db_query(d, "other_sessions", NULL, 0)))
		return -1;
	if ((rc = db_step(r)) != 1) {
		db_rows_free(r);
		return -1;
	}
	count = db_int(r, 0, NULL);
	if (count > 0)
		snprintf(who, n, "%lld other session(s) on the database%s%s%s", count, db_text(r, 1)[0] ? " [" : "",
			 db_text(r, 1), db_text(r, 1)[0] ? "]" : "");
	else
		snprintf(who, n, "no other sessions on the database");
	db_rows_free(r);
	return count > 0;
}
