// SPDX-License-Identifier: GPL-2.0
/*
 * fault_file_cow: write faults on a private mapping of a tmpfs file.
 *
 * Modelled on will-it-scale's page_fault2 (mmap MAP_PRIVATE of a file, write
 * one byte per page, so every fault allocates an anonymous copy of the page
 * cache page: do_cow_fault), written here single-threaded. The file lives in
 * /tmp (tmpfs in the guest; FILE_DIR overrides) and is filled before timing,
 * so the page cache is populated and only the COW fault is measured.
 *
 * usage: fault_file_cow [SIZE_MIB]
 * output: RESULT fault_file_cow size_mib=N pages=N ns_per_fault=X
 */
#include <fcntl.h>
#include "bench.h"

int main(int argc, char **argv)
{
	const char *mode, *dir = getenv("FILE_DIR");
	size_t len = bench_args(argc, argv, 64, NULL, &mode);
	size_t ps = page_size(), off;
	char path[256], *buf, *p;
	double t0, t1;
	int fd;

	snprintf(path, sizeof(path), "%s/fault_file_cow.XXXXXX", dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		die("mkstemp %s: %s", path, strerror(errno));
	unlink(path);
	buf = malloc(MIB);
	if (!buf)
		die("malloc");
	memset(buf, 0x5a, MIB);
	for (off = 0; off < len; off += MIB)
		if (write(fd, buf, MIB) != (ssize_t)MIB)
			die("write %s: %s", path, strerror(errno));
	free(buf);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	t0 = now_ns();
	for (off = 0; off < len; off += ps)
		p[off] = 1;
	t1 = now_ns();
	printf("RESULT fault_file_cow size_mib=%zu pages=%zu ns_per_fault=%.1f\n",
	       len / MIB, len / ps, (t1 - t0) / (double)(len / ps));
	munmap(p, len);
	close(fd);
	return 0;
}
