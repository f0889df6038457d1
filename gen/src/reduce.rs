//! Reduction edits over the AST: each removes or simplifies one node and always leaves a valid program.

use serde::{Deserialize, Serialize};

use crate::ast::{FuncKind, Link, Program};

/// One simplification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Edit {
    RemoveArray(usize),
    RemoveString(usize),
    RemovePtrTable(usize),
    RemoveFunc(usize),
    DropFnptrTable,
    DropCopyLoop,
    DropSetLoop,
    DropStringTable,
    DropStructCopy,
    DropZeroInit,
    DropStackArray,
    DropSha256,
    RemoveShaRegion(usize),
    OneRound,
    ShrinkArray(usize),
    ShrinkString(usize),
    ShrinkPtrTable(usize),
    SimplifyFunc(usize),
}

impl Program {
    /// Every applicable edit, largest reduction first.
    pub fn reduction_candidates(&self) -> Vec<Edit> {
        let mut v = Vec::new();
        for i in 0..self.arrays.len() {
            v.push(Edit::RemoveArray(i));
            v.push(Edit::ShrinkArray(i));
        }
        for i in 0..self.strings.len() {
            v.push(Edit::RemoveString(i));
            v.push(Edit::ShrinkString(i));
        }
        for i in 0..self.ptr_tables.len() {
            v.push(Edit::RemovePtrTable(i));
            v.push(Edit::ShrinkPtrTable(i));
        }
        for i in 0..self.funcs.len() {
            v.push(Edit::RemoveFunc(i));
            v.push(Edit::SimplifyFunc(i));
        }
        v.extend((0..self.sha_regions.len()).map(Edit::RemoveShaRegion));
        v.extend([
            Edit::DropFnptrTable,
            Edit::DropCopyLoop,
            Edit::DropSetLoop,
            Edit::DropStringTable,
            Edit::DropStructCopy,
            Edit::DropZeroInit,
            Edit::DropStackArray,
            Edit::DropSha256,
            Edit::OneRound,
        ]);
        let size = self.size();
        let mut sized: Vec<(usize, Edit)> = v
            .into_iter()
            .filter_map(|e| Some((size.saturating_sub(self.apply(&e)?.size()), e)))
            .filter(|(gain, _)| *gain > 0)
            .collect();
        sized.sort_by_key(|(gain, _)| std::cmp::Reverse(*gain));
        sized.into_iter().map(|(_, e)| e).collect()
    }

    /// The program with one edit applied (`None` if the edit does not apply).
    pub fn apply(&self, e: &Edit) -> Option<Program> {
        let mut p = self.clone();
        match *e {
            Edit::RemoveArray(i) => take(&mut p.arrays, i).map(|_| ())?,
            Edit::RemoveString(i) => take(&mut p.strings, i).map(|_| ())?,
            Edit::RemovePtrTable(i) => take(&mut p.ptr_tables, i).map(|_| ())?,
            Edit::RemoveFunc(i) => take(&mut p.funcs, i).map(|_| ())?,
            Edit::DropFnptrTable => p.fnptr_table = false,
            Edit::DropCopyLoop => p.copy_loop = false,
            Edit::DropSetLoop => p.set_loop = false,
            Edit::DropStringTable => p.string_table = false,
            Edit::DropStructCopy => p.struct_copy = None,
            Edit::DropZeroInit => p.zero_init = None,
            Edit::DropStackArray => p.stack_array = None,
            Edit::DropSha256 => p.sha256 = false,
            Edit::RemoveShaRegion(i) => take(&mut p.sha_regions, i).map(|_| ())?,
            Edit::OneRound => p.rounds = 1,
            Edit::ShrinkArray(i) => {
                let a = p.arrays.get_mut(i)?;
                a.large = false;
                a.len = 1;
            }
            Edit::ShrinkString(i) => p.strings.get_mut(i)?.text.truncate(1),
            Edit::ShrinkPtrTable(i) => p.ptr_tables.get_mut(i)?.idxs.truncate(1),
            Edit::SimplifyFunc(i) => {
                let f = p.funcs.get_mut(i)?;
                f.kind = FuncKind::Arith { mul: 3, add: 1, shift: 7 };
                f.sect = None;
                f.link = Link::Plain;
            }
        }
        Some(p)
    }
}

fn take<T>(v: &mut Vec<T>, i: usize) -> Option<T> {
    (i < v.len()).then(|| v.remove(i))
}
