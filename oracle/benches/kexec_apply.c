/*
 * The peer for benches/relocate.rs: the x86_64 kexec_file relocation loop as the kernel describes it
 * (lay the ALLOC sections out at offsets from the load address, copy them into a buffer, then for every
 * RELA entry of an ALLOC section: find the symbol, name it, refuse undefined/common ones, add the
 * section's new address and the addend, and store by type with the 32/32S overflow checks).
 * Written for kreloc from that description; compiled with `cc -O2` by the benchmark, never by the library.
 *
 * usage: kexec_apply OBJECT LOAD_ADDR SECONDS  -> prints "<relocations applied> <seconds>"
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned char *file;
static Elf64_Ehdr *eh;
static Elf64_Shdr *sh;      /* working copy: sh_addr/sh_offset rewritten by the layout */
static unsigned char *buf;
static size_t bufsz;

static int apply_rela(const Elf64_Shdr *rel, Elf64_Shdr *target, const Elf64_Shdr *symtab)
{
	const Elf64_Rela *r = (const void *)(file + rel->sh_offset);
	const Elf64_Sym *syms = (const void *)(file + symtab->sh_offset);
	const char *strtab = (const char *)file + sh[symtab->sh_link].sh_offset;
	const char *shstr = (const char *)file + sh[eh->e_shstrndx].sh_offset;
	size_t n = rel->sh_size / sizeof(*r);

	for (size_t i = 0; i < n; i++) {
		const Elf64_Sym *s = syms + ELF64_R_SYM(r[i].r_info);
		const char *name = s->st_name ? strtab + s->st_name : shstr + sh[s->st_shndx].sh_name;
		unsigned char *loc = buf + target->sh_offset + r[i].r_offset;
		uint64_t place = target->sh_addr + r[i].r_offset, v;
		uint32_t w;

		if (s->st_shndx == SHN_UNDEF || s->st_shndx == SHN_COMMON) {
			fprintf(stderr, "bad symbol %s\n", name);
			return -1;
		}
		v = s->st_value + r[i].r_addend;
		if (s->st_shndx != SHN_ABS) {
			if (s->st_shndx >= eh->e_shnum)
				return -1;
			v += sh[s->st_shndx].sh_addr;
		}
		switch (ELF64_R_TYPE(r[i].r_info)) {
		case R_X86_64_NONE:
			break;
		case R_X86_64_64:
			memcpy(loc, &v, 8);
			break;
		case R_X86_64_32:
			w = (uint32_t)v;
			memcpy(loc, &w, 4);
			if (v != w)
				return -1;
			break;
		case R_X86_64_32S:
			w = (uint32_t)v;
			memcpy(loc, &w, 4);
			if ((int64_t)v != (int32_t)w)
				return -1;
			break;
		case R_X86_64_PC32:
		case R_X86_64_PLT32:
			w = (uint32_t)(v - place);
			memcpy(loc, &w, 4);
			break;
		default:
			fprintf(stderr, "unknown type %lu\n", (unsigned long)ELF64_R_TYPE(r[i].r_info));
			return -1;
		}
	}
	return 0;
}

/* Offsets from the load address, ALLOC sections in order, bss after the file-backed part. */
static void layout(uint64_t mem)
{
	const Elf64_Shdr *orig = (const void *)(file + eh->e_shoff);
	uint64_t off = 0;
	for (int i = 0; i < eh->e_shnum; i++) {
		sh[i] = orig[i];
		if (!(sh[i].sh_flags & SHF_ALLOC) || sh[i].sh_type == SHT_NOBITS)
			continue;
		uint64_t a = sh[i].sh_addralign ? sh[i].sh_addralign : 1;
		off = (off + a - 1) & ~(a - 1);
		sh[i].sh_addr = mem + off;
		sh[i].sh_offset = off;
		off += sh[i].sh_size;
	}
	bufsz = off;
	for (int i = 0; i < eh->e_shnum; i++) {
		if (!(sh[i].sh_flags & SHF_ALLOC) || sh[i].sh_type != SHT_NOBITS)
			continue;
		uint64_t a = sh[i].sh_addralign ? sh[i].sh_addralign : 1;
		off = (off + a - 1) & ~(a - 1);
		sh[i].sh_addr = mem + off;
		off += sh[i].sh_size;
	}
}

static long load_once(void)
{
	const Elf64_Shdr *orig = (const void *)(file + eh->e_shoff);
	long applied = 0;
	for (int i = 0; i < eh->e_shnum; i++)
		if ((sh[i].sh_flags & SHF_ALLOC) && sh[i].sh_type != SHT_NOBITS)
			memcpy(buf + sh[i].sh_offset, file + orig[i].sh_offset, sh[i].sh_size);
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_RELA || sh[i].sh_info >= eh->e_shnum || sh[i].sh_link >= eh->e_shnum)
			continue;
		if (!(sh[sh[i].sh_info].sh_flags & SHF_ALLOC))
			continue;
		if (apply_rela(&sh[i], &sh[sh[i].sh_info], &sh[sh[i].sh_link]))
			return -1;
		applied += sh[i].sh_size / sizeof(Elf64_Rela);
	}
	return applied;
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	FILE *f = fopen(argv[1], "rb");
	if (!f)
		return 2;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	file = malloc(len);
	if (fread(file, 1, len, f) != (size_t)len)
		return 2;
	fclose(f);
	eh = (void *)file;
	sh = calloc(eh->e_shnum, sizeof(*sh));
	layout(strtoull(argv[2], NULL, 0));
	buf = calloc(1, bufsz + 4096);
	double seconds = strtod(argv[3], NULL), elapsed = 0;
	long total = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int k = 0; k < 100; k++) {
			long n = load_once();
			if (n < 0)
				return 1;
			total += n;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		elapsed = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	} while (elapsed < seconds);
	printf("%ld %f\n", total, elapsed);
	return 0;
}
