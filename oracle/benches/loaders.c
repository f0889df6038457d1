/*
 * The C peers of benches/vs_loaders.rs: a whole purgatory load as two real loaders do it, written for kreloc
 * in our own words from their public descriptions (docs: the kexec relocation facts), compiled by the bench
 * with `cc -O2 -shared` and called in the bench's own process. Neither is linked into the library.
 *
 * kernel_load() mirrors Linux 6.x kernel/kexec_file.c for x86_64: kexec_purgatory_setup_kbuf (sizing, a
 * zeroed buffer), kexec_purgatory_setup_sechdrs (a copy of the section headers, offset layout, the entry rule
 * with its WARN_ON test, section copies), kexec_apply_relocations + arch_kexec_apply_relocations_add (symbol
 * naming, UNDEF/COMMON/bad-index refusal, the 64/32/32S/PC32/PLT32 stores and the 32/32S overflow checks),
 * then bzImage64_load's symbol steps (get entry64_regs, the address of stack_end, set entry64_regs) and
 * kexec_calculate_store_digests' two writes, each through kexec_purgatory_find_symbol (a strcmp walk over the
 * STB_GLOBAL symbols) and kexec_purgatory_get_set_symbol (size, NOBITS checks). The hole search is left out:
 * the load address is given, as it is to kreloc.
 *
 * kexec_tools_load() mirrors kexec-tools' kexec/kexec-elf.c + kexec-elf-rel.c for x86_64: build_mem_ehdr
 * (ident, version, e_shentsize checks), build_mem_shdrs (every header converted into an allocated table,
 * contents bounds-checked against the file, no sh_addr wrap), the ET_REL and machine checks, elf_rel_build_load
 * (sizing with alignment 0 read as 1, the legacy bss padding, a malloc'd buffer, placement by absolute
 * address, section copies), elf_rel_load's relocation loop (REL and RELA, undefined STT_NOTYPE symbols
 * against 0) with machine_apply_elf_rel, then do_bzImage64_load's symbol steps (entry64_regs, stack_end,
 * cmdline_end), arch_update_purgatory()'s settings for `kexec -p` and update_purgatory()'s digest writes,
 * each through elf_rel_find_symbol.
 *
 * Both return the relocations applied, or a negative number where the loader would refuse the object.
 */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((a) - 1))

/* ---------------------------------------------------------------- Linux kexec_file, x86_64 */

struct k_purgatory {
	const Elf64_Ehdr *ehdr;
	Elf64_Shdr *sechdrs; /* the working copy: sh_addr/sh_offset rewritten by the layout */
	unsigned char *buf;
	uint64_t bufsz, memsz, buf_align, mem, start;
};

static int k_setup_kbuf(struct k_purgatory *pi)
{
	const Elf64_Shdr *sh = (const void *)((const char *)pi->ehdr + pi->ehdr->e_shoff);
	uint64_t bss_align = 1, bss_sz = 0;

	pi->buf_align = 1;
	pi->bufsz = 0;
	for (int i = 0; i < pi->ehdr->e_shnum; i++) {
		uint64_t a = sh[i].sh_addralign;
		if (!(sh[i].sh_flags & SHF_ALLOC))
			continue;
		if (sh[i].sh_type != SHT_NOBITS) {
			if (pi->buf_align < a)
				pi->buf_align = a;
			pi->bufsz = ALIGN_UP(pi->bufsz, a) + sh[i].sh_size;
		} else {
			if (bss_align < a)
				bss_align = a;
			bss_sz = ALIGN_UP(bss_sz, a) + sh[i].sh_size;
		}
	}
	pi->bufsz = ALIGN_UP(pi->bufsz, bss_align);
	pi->memsz = pi->bufsz + bss_sz;
	if (pi->buf_align < bss_align)
		pi->buf_align = bss_align;
	pi->buf = calloc(1, pi->bufsz ? pi->bufsz : 1); /* vzalloc */
	return pi->buf ? 0 : -12;
}

static int k_setup_sechdrs(struct k_purgatory *pi)
{
	size_t n = pi->ehdr->e_shnum;
	uint64_t offset = 0, bss_addr = pi->mem + pi->bufsz;
	Elf64_Shdr *sh = malloc(n * sizeof(*sh)); /* vzalloc + memcpy of the table */

	if (!sh)
		return -12;
	memcpy(sh, (const char *)pi->ehdr + pi->ehdr->e_shoff, n * sizeof(*sh));
	pi->sechdrs = sh;
	pi->start = pi->ehdr->e_entry;
	for (size_t i = 0; i < n; i++) {
		uint64_t a = sh[i].sh_addralign;
		if (!(sh[i].sh_flags & SHF_ALLOC))
			continue;
		if (sh[i].sh_type == SHT_NOBITS) {
			bss_addr = ALIGN_UP(bss_addr, a);
			sh[i].sh_addr = bss_addr;
			bss_addr += sh[i].sh_size;
			continue;
		}
		offset = ALIGN_UP(offset, a);
		/* The first exec section holding e_entry moves the start; a later one only WARNs. */
		if ((sh[i].sh_flags & SHF_EXECINSTR) && pi->ehdr->e_entry >= sh[i].sh_addr &&
		    pi->ehdr->e_entry < sh[i].sh_addr + sh[i].sh_size && pi->start == pi->ehdr->e_entry)
			pi->start = pi->start - sh[i].sh_addr + pi->mem + offset;
		memcpy(pi->buf + offset, (const char *)pi->ehdr + sh[i].sh_offset, sh[i].sh_size);
		sh[i].sh_addr = pi->mem + offset;
		sh[i].sh_offset = offset;
		offset += sh[i].sh_size;
	}
	return 0;
}

static int k_apply_rela(struct k_purgatory *pi, const Elf64_Shdr *section, const Elf64_Shdr *relsec,
			const Elf64_Shdr *symtabsec)
{
	const char *base = (const char *)pi->ehdr;
	const Elf64_Shdr *orig = (const void *)(base + pi->ehdr->e_shoff);
	const Elf64_Rela *rel = (const void *)(base + relsec->sh_offset);
	const char *strtab = base + orig[symtabsec->sh_link].sh_offset;
	const char *shstrtab = base + orig[pi->ehdr->e_shstrndx].sh_offset;
	size_t n = relsec->sh_size / sizeof(*rel);

	for (size_t i = 0; i < n; i++) {
		unsigned char *loc = pi->buf + section->sh_offset + rel[i].r_offset;
		uint64_t address = section->sh_addr + rel[i].r_offset, value, sec_base;
		const Elf64_Sym *sym = (const Elf64_Sym *)(base + symtabsec->sh_offset) + ELF64_R_SYM(rel[i].r_info);
		const char *name = sym->st_name ? strtab + sym->st_name : shstrtab + orig[sym->st_shndx].sh_name;
		uint32_t w;

		(void)name; /* named in the kernel's pr_err lines */
		if (sym->st_shndx == SHN_UNDEF || sym->st_shndx == SHN_COMMON)
			return -8;
		if (sym->st_shndx == SHN_ABS)
			sec_base = 0;
		else if (sym->st_shndx >= pi->ehdr->e_shnum)
			return -8;
		else
			sec_base = pi->sechdrs[sym->st_shndx].sh_addr;
		value = sym->st_value + sec_base + rel[i].r_addend;
		switch (ELF64_R_TYPE(rel[i].r_info)) {
		case R_X86_64_NONE:
			break;
		case R_X86_64_64:
			memcpy(loc, &value, 8);
			break;
		case R_X86_64_32:
			w = (uint32_t)value;
			memcpy(loc, &w, 4);
			if (value != w)
				return -8;
			break;
		case R_X86_64_32S:
			w = (uint32_t)value;
			memcpy(loc, &w, 4);
			if ((int64_t)value != (int32_t)w)
				return -8;
			break;
		case R_X86_64_PC32:
		case R_X86_64_PLT32:
			w = (uint32_t)(value - address);
			memcpy(loc, &w, 4);
			break;
		default:
			return -8;
		}
	}
	return (int)n;
}

static long k_apply_relocations(struct k_purgatory *pi)
{
	const Elf64_Shdr *sh = (const void *)((const char *)pi->ehdr + pi->ehdr->e_shoff);
	long applied = 0;

	for (int i = 0; i < pi->ehdr->e_shnum; i++) {
		if (sh[i].sh_type != SHT_RELA && sh[i].sh_type != SHT_REL)
			continue;
		if (sh[i].sh_info >= pi->ehdr->e_shnum || sh[i].sh_link >= pi->ehdr->e_shnum)
			return -8;
		if (!(pi->sechdrs[sh[i].sh_info].sh_flags & SHF_ALLOC))
			continue;
		if (sh[sh[i].sh_link].sh_link >= pi->ehdr->e_shnum)
			return -8;
		if (sh[i].sh_type == SHT_REL)
			return -8; /* the weak arch_kexec_apply_relocations: "REL relocation unsupported" */
		int r = k_apply_rela(pi, &pi->sechdrs[sh[i].sh_info], &sh[i], &sh[sh[i].sh_link]);
		if (r < 0)
			return r;
		applied += r;
	}
	return applied;
}

static const Elf64_Sym *k_find_symbol(const struct k_purgatory *pi, const char *name)
{
	const char *base = (const char *)pi->ehdr;
	const Elf64_Shdr *sh = (const void *)(base + pi->ehdr->e_shoff);

	for (int i = 0; i < pi->ehdr->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= pi->ehdr->e_shnum)
			continue;
		const char *strtab = base + sh[sh[i].sh_link].sh_offset;
		const Elf64_Sym *syms = (const void *)(base + sh[i].sh_offset);
		for (size_t k = 0; k < sh[i].sh_size / sizeof(*syms); k++) {
			if (ELF64_ST_BIND(syms[k].st_info) != STB_GLOBAL)
				continue;
			if (strcmp(strtab + syms[k].st_name, name) != 0)
				continue;
			if (syms[k].st_shndx == SHN_UNDEF || syms[k].st_shndx >= pi->ehdr->e_shnum)
				return NULL;
			return &syms[k];
		}
	}
	return NULL;
}

static int k_get_set_symbol(struct k_purgatory *pi, const char *name, void *buf, size_t size, int get)
{
	const Elf64_Sym *sym = k_find_symbol(pi, name);
	if (!sym || sym->st_size != size)
		return -22;
	const Elf64_Shdr *sec = &pi->sechdrs[sym->st_shndx];
	if (sec->sh_type == SHT_NOBITS)
		return -22;
	unsigned char *at = pi->buf + sec->sh_offset + sym->st_value;
	if (get)
		memcpy(buf, at, size);
	else
		memcpy(at, buf, size);
	return 0;
}

long kernel_load(const unsigned char *file, size_t len, uint64_t mem)
{
	struct k_purgatory pi = { .ehdr = (const void *)file, .mem = mem };
	uint64_t regs[17], digest[4] = { 0 }, regions[32] = { 0 };
	long applied = -12;

	(void)len; /* the kernel trusts its built-in purgatory */
	if (k_setup_kbuf(&pi) || k_setup_sechdrs(&pi))
		goto out;
	applied = k_apply_relocations(&pi);
	if (applied < 0)
		goto out;
	/* bzImage64_load */
	const Elf64_Sym *stack_end = NULL;
	if (k_get_set_symbol(&pi, "entry64_regs", regs, sizeof(regs), 1) ||
	    !(stack_end = k_find_symbol(&pi, "stack_end"))) {
		applied = -22;
		goto out;
	}
	regs[7] = pi.sechdrs[stack_end->st_shndx].sh_addr + stack_end->st_value; /* rsp */
	regs[16] = pi.start;
	if (k_get_set_symbol(&pi, "entry64_regs", regs, sizeof(regs), 0) ||
	    /* kexec_calculate_store_digests */
	    k_get_set_symbol(&pi, "purgatory_sha_regions", regions, sizeof(regions), 0) ||
	    k_get_set_symbol(&pi, "purgatory_sha256_digest", digest, sizeof(digest), 0))
		applied = -22;
out:
	free(pi.sechdrs);
	free(pi.buf);
	return applied;
}

/* ---------------------------------------------------------------- kexec-tools, x86_64 */

struct mem_shdr {
	uint32_t sh_name, sh_type;
	uint64_t sh_flags, sh_addr, sh_offset, sh_size;
	uint32_t sh_link, sh_info;
	uint64_t sh_addralign, sh_entsize;
	const unsigned char *sh_data;
};

struct mem_ehdr {
	uint16_t e_type, e_machine, e_shnum, e_shstrndx;
	uint64_t e_entry;
	struct mem_shdr *e_shdr;
};

/* build_mem_ehdr + build_mem_shdrs: converted copies, every file-backed section inside the file. */
static int t_build_elf_rel_info(const unsigned char *file, size_t len, struct mem_ehdr *eh)
{
	const Elf64_Ehdr *h = (const void *)file;

	if (len < sizeof(*h) || memcmp(h->e_ident, ELFMAG, SELFMAG) != 0)
		return -1;
	if (h->e_ident[EI_CLASS] != ELFCLASS64 || h->e_ident[EI_DATA] != ELFDATA2LSB ||
	    h->e_ident[EI_VERSION] != EV_CURRENT || h->e_version != EV_CURRENT)
		return -1;
	eh->e_type = h->e_type;
	eh->e_machine = h->e_machine;
	eh->e_entry = h->e_entry;
	eh->e_shnum = h->e_shnum;
	eh->e_shstrndx = h->e_shstrndx;
	if (h->e_shentsize != sizeof(Elf64_Shdr) || h->e_shoff > len ||
	    (uint64_t)h->e_shnum * sizeof(Elf64_Shdr) > len - h->e_shoff)
		return -1;
	eh->e_shdr = malloc((size_t)eh->e_shnum * sizeof(struct mem_shdr));
	if (!eh->e_shdr)
		return -1;
	const Elf64_Shdr *raw = (const void *)(file + h->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++) {
		struct mem_shdr *s = &eh->e_shdr[i];
		s->sh_name = raw[i].sh_name;
		s->sh_type = raw[i].sh_type;
		s->sh_flags = raw[i].sh_flags;
		s->sh_addr = raw[i].sh_addr;
		s->sh_offset = raw[i].sh_offset;
		s->sh_size = raw[i].sh_size;
		s->sh_link = raw[i].sh_link;
		s->sh_info = raw[i].sh_info;
		s->sh_addralign = raw[i].sh_addralign;
		s->sh_entsize = raw[i].sh_entsize;
		s->sh_data = NULL;
		if (s->sh_addr + s->sh_size < s->sh_addr)
			return -1;
		if (s->sh_type != SHT_NOBITS && s->sh_size) {
			if (s->sh_offset > len || s->sh_size > len - s->sh_offset)
				return -1;
			s->sh_data = file + s->sh_offset;
		}
	}
	if (eh->e_type != ET_REL || eh->e_machine != EM_X86_64)
		return -1;
	return 0;
}

struct t_rel {
	struct mem_ehdr eh;
	unsigned char *buf;
	uint64_t bufsz, memsz, base, entry;
};

/* elf_rel_build_load: sizing, the buffer, placement by absolute address, copies. */
static int t_build_load(struct t_rel *r, uint64_t mem)
{
	struct mem_shdr *sh = r->eh.e_shdr;
	uint64_t bufsz = 0, bss_size = 0, buf_align = 1, bss_align = 1, data_addr, bss_addr;
	int entry_found = 0;

	for (int i = 0; i < r->eh.e_shnum; i++) {
		uint64_t a = sh[i].sh_addralign ? sh[i].sh_addralign : 1;
		if (!(sh[i].sh_flags & SHF_ALLOC))
			continue;
		if (sh[i].sh_type != SHT_NOBITS) {
			if (a > buf_align)
				buf_align = a;
			bufsz = ALIGN_UP(bufsz, a) + sh[i].sh_size;
		} else {
			if (a > bss_align)
				bss_align = a;
			bss_size = ALIGN_UP(bss_size, a) + sh[i].sh_size;
		}
	}
	uint64_t bss_pad = bufsz & (bss_align - 1) ? bss_align - (bufsz & (bss_align - 1)) : 0;
	r->bufsz = bufsz;
	r->memsz = bufsz + bss_pad + bss_size;
	r->buf = malloc(bufsz ? bufsz : 1);
	if (!r->buf)
		return -1;
	r->base = mem;
	data_addr = mem;
	bss_addr = mem + bufsz + bss_pad;
	r->entry = r->eh.e_entry;
	for (int i = 0; i < r->eh.e_shnum; i++) {
		uint64_t a = sh[i].sh_addralign ? sh[i].sh_addralign : 1;
		if (!(sh[i].sh_flags & SHF_ALLOC))
			continue;
		if (sh[i].sh_type == SHT_NOBITS) {
			bss_addr = ALIGN_UP(bss_addr, a);
			sh[i].sh_addr = bss_addr;
			bss_addr += sh[i].sh_size;
			continue;
		}
		data_addr = ALIGN_UP(data_addr, a);
		/* The entry section is found by the original sh_addr, first match wins. */
		if (!entry_found && (sh[i].sh_flags & SHF_EXECINSTR) && r->eh.e_entry >= sh[i].sh_addr &&
		    r->eh.e_entry < sh[i].sh_addr + sh[i].sh_size) {
			r->entry = r->eh.e_entry - sh[i].sh_addr + data_addr;
			entry_found = 1;
		}
		if (sh[i].sh_size)
			memcpy(r->buf + (data_addr - mem), sh[i].sh_data, sh[i].sh_size);
		sh[i].sh_addr = data_addr;
		data_addr += sh[i].sh_size;
	}
	return 0;
}

/* machine_apply_elf_rel for x86_64. */
static int t_apply(unsigned long type, unsigned char *loc, uint64_t address, uint64_t value)
{
	uint32_t w;
	switch (type) {
	case R_X86_64_NONE:
		return 0;
	case R_X86_64_64:
		memcpy(loc, &value, 8);
		return 0;
	case R_X86_64_32:
		w = (uint32_t)value;
		memcpy(loc, &w, 4);
		return value != w ? -1 : 0;
	case R_X86_64_32S:
		w = (uint32_t)value;
		memcpy(loc, &w, 4);
		return (int64_t)value != (int32_t)w ? -1 : 0;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
		w = (uint32_t)(value - address);
		memcpy(loc, &w, 4);
		return 0;
	default:
		return -1;
	}
}

/* elf_rel_load's relocation loop. */
static long t_relocate(struct t_rel *r)
{
	struct mem_shdr *sh = r->eh.e_shdr;
	long applied = 0;

	for (int i = 0; i < r->eh.e_shnum; i++) {
		if (sh[i].sh_type != SHT_RELA && sh[i].sh_type != SHT_REL)
			continue;
		if (sh[i].sh_info > r->eh.e_shnum || sh[i].sh_link > r->eh.e_shnum)
			return -1;
		struct mem_shdr *section = &sh[sh[i].sh_info], *symtab = &sh[sh[i].sh_link];
		if (!(section->sh_flags & SHF_ALLOC))
			continue;
		if (symtab->sh_link > r->eh.e_shnum || !symtab->sh_data || !sh[i].sh_data)
			return -1;
		const char *strtab = (const char *)sh[symtab->sh_link].sh_data;
		const char *shstrtab = (const char *)sh[r->eh.e_shstrndx].sh_data;
		size_t entsize = sh[i].sh_type == SHT_RELA ? sizeof(Elf64_Rela) : sizeof(Elf64_Rel);
		size_t n = sh[i].sh_size / entsize;
		for (size_t k = 0; k < n; k++) {
			const unsigned char *p = sh[i].sh_data + k * entsize;
			Elf64_Rela rel = { 0 };
			memcpy(&rel, p, entsize);
			Elf64_Sym sym;
			memcpy(&sym, symtab->sh_data + ELF64_R_SYM(rel.r_info) * sizeof(sym), sizeof(sym));
			const char *name = sym.st_name ? strtab + sym.st_name : shstrtab + sh[sym.st_shndx].sh_name;
			(void)name; /* named in its die() lines */
			uint64_t value = sym.st_value;
			if (sym.st_shndx == SHN_UNDEF) {
				if (ELF64_ST_TYPE(sym.st_info) != STT_NOTYPE)
					return -1;
			} else if (sym.st_shndx == SHN_COMMON || sym.st_shndx > r->eh.e_shnum) {
				return -1;
			} else if (sym.st_shndx != SHN_ABS) {
				value += sh[sym.st_shndx].sh_addr;
			}
			value += rel.r_addend;
			uint64_t address = section->sh_addr + rel.r_offset;
			if (t_apply(ELF64_R_TYPE(rel.r_info), r->buf + (section->sh_addr - r->base) + rel.r_offset,
				    address, value))
				return -1;
		}
		applied += n;
	}
	return applied;
}

/* elf_rel_find_symbol: a converted copy of each symbol, STB_GLOBAL, strcmp. */
static int t_find_symbol(const struct t_rel *r, const char *name, Elf64_Sym *ret)
{
	const struct mem_shdr *sh = r->eh.e_shdr;
	for (int i = 0; i < r->eh.e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link > r->eh.e_shnum || !sh[i].sh_data)
			continue;
		const char *strtab = (const char *)sh[sh[i].sh_link].sh_data;
		for (const unsigned char *p = sh[i].sh_data; p < sh[i].sh_data + sh[i].sh_size; p += sizeof(Elf64_Sym)) {
			Elf64_Sym sym;
			memcpy(&sym, p, sizeof(sym));
			if (ELF64_ST_BIND(sym.st_info) != STB_GLOBAL || strcmp(strtab + sym.st_name, name) != 0)
				continue;
			if (sym.st_shndx == SHN_UNDEF || sym.st_shndx > r->eh.e_shnum)
				return -1;
			*ret = sym;
			return 0;
		}
	}
	return -1;
}

static int t_get_set_symbol(struct t_rel *r, const char *name, void *buf, size_t size, int get)
{
	Elf64_Sym sym;
	if (t_find_symbol(r, name, &sym) || sym.st_size != size)
		return -1;
	const struct mem_shdr *sec = &r->eh.e_shdr[sym.st_shndx];
	if (sec->sh_type == SHT_NOBITS)
		return -1;
	unsigned char *at = r->buf + (sec->sh_addr - r->base) + sym.st_value;
	if (get)
		memcpy(buf, at, size);
	else
		memcpy(at, buf, size);
	return 0;
}

static int t_get_addr(struct t_rel *r, const char *name, uint64_t *addr)
{
	Elf64_Sym sym;
	if (t_find_symbol(r, name, &sym))
		return -1;
	*addr = r->eh.e_shdr[sym.st_shndx].sh_addr + sym.st_value;
	return 0;
}

long kexec_tools_load(const unsigned char *file, size_t len, uint64_t mem)
{
	struct t_rel r = { 0 };
	uint64_t regs[17], word = 0, regions[32] = { 0 }, digest[4] = { 0 };
	uint8_t byte = 0;
	uint16_t half = 0;
	uint32_t full = 0;
	long applied = -1;

	if (t_build_elf_rel_info(file, len, &r.eh) || t_build_load(&r, mem))
		goto out;
	applied = t_relocate(&r);
	if (applied < 0)
		goto out;
	/* do_bzImage64_load, arch_update_purgatory (kexec -p), update_purgatory */
	if (t_get_set_symbol(&r, "entry64_regs", regs, sizeof(regs), 1) || t_get_addr(&r, "stack_end", &regs[7]) ||
	    (regs[16] = r.entry, t_get_set_symbol(&r, "entry64_regs", regs, sizeof(regs), 0)) ||
	    t_get_set_symbol(&r, "cmdline_end", &word, 8, 0) || t_get_set_symbol(&r, "reset_vga", &byte, 1, 0) ||
	    t_get_set_symbol(&r, "serial_base", &half, 2, 0) || t_get_set_symbol(&r, "serial_baud", &full, 4, 0) ||
	    t_get_set_symbol(&r, "console_vga", &byte, 1, 0) || t_get_set_symbol(&r, "console_serial", &byte, 1, 0) ||
	    t_get_set_symbol(&r, "backup_src_start", &word, 8, 0) ||
	    t_get_set_symbol(&r, "backup_src_size", &word, 8, 0) || t_get_set_symbol(&r, "backup_start", &word, 8, 0) ||
	    t_get_set_symbol(&r, "panic_kernel", &byte, 1, 0) ||
	    t_get_set_symbol(&r, "sha256_regions", regions, sizeof(regions), 0) ||
	    t_get_set_symbol(&r, "sha256_digest", digest, sizeof(digest), 0))
		applied = -1;
out:
	free(r.eh.e_shdr);
	free(r.buf);
	return applied;
}

#ifdef LOADER_MAIN
/*
 * The process peer of `kreloc check OBJECT --at ADDR` (BENCHMARKS.md): read the object, load it as the
 * kernel does, say whether it loads. usage: loader OBJECT ADDR
 */
#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	FILE *f = fopen(argv[1], "rb");
	if (!f)
		return 125;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *file = malloc(len);
	if (!file || fread(file, 1, len, f) != (size_t)len)
		return 125;
	fclose(f);
	long applied = kernel_load(file, len, strtoull(argv[2], NULL, 0));
	if (applied < 0) {
		printf("%s at %s: does not load (%ld)\n", argv[1], argv[2], applied);
		return 1;
	}
	printf("%s at %s: loads, %ld relocations applied\n", argv[1], argv[2], applied);
	return 0;
}
#endif
