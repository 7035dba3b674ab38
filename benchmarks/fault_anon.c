// SPDX-License-Identifier: GPL-2.0
/*
 * fault_anon: cost of first-touch anonymous write faults.
 *
 * Maps SIZE_MIB of private anonymous memory with THP disabled, writes one
 * byte per 4 KiB page and reports the guest time per fault. Under
 * "qemu -icount shift=0,sleep=off" guest time counts guest instructions, so
 * the figure is repeatable; under KVM it is wall time.
 *
 * usage: fault_anon [SIZE_MIB [REPEATS]]
 * output: "RESULT fault_anon size_mib=N pages=N ns_per_fault=X" per repeat
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static long parse(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || v < lo || v > hi) {
		fprintf(stderr, "fault_anon: bad %s '%s' (want %ld..%ld)\n", what, s, lo, hi);
		exit(2);
	}
	return v;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? parse(argv[1], 1, 4096, "size in MiB") : 64;
	long reps = argc > 2 ? parse(argv[2], 1, 1000, "repeat count") : 1;
	long psz = sysconf(_SC_PAGESIZE);
	size_t len = (size_t)mib << 20;
	long r;

	for (r = 0; r < reps; r++) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		double t0, t1;
		size_t off;

		if (p == MAP_FAILED) {
			fprintf(stderr, "fault_anon: mmap %ld MiB: %s\n", mib, strerror(errno));
			return 1;
		}
		if (madvise(p, len, MADV_NOHUGEPAGE))
			fprintf(stderr, "fault_anon: MADV_NOHUGEPAGE: %s\n", strerror(errno));
		t0 = now_ns();
		for (off = 0; off < len; off += psz)
			p[off] = 1;
		t1 = now_ns();
		printf("RESULT fault_anon size_mib=%ld pages=%zu ns_per_fault=%.1f\n",
		       mib, len / psz, (t1 - t0) / (double)(len / psz));
		munmap(p, len);
	}
	return 0;
}
