//! FF1 steps for many values at once. A batch's values wait in groups of one tweak tag and
//! length; each group goes through [`Ff1::encrypt_many`](super::ff1::Ff1::encrypt_many), so
//! the AES rounds of different values overlap in the pipeline instead of waiting on each
//! other (the FF1 core runs about seven times faster batched than one value at a time).
//! A value whose result its kind does not accept (cycle-walking) waits for the next pass.
//!
//! In: the [`Work`]s of a batch (from [`Fpe::start`]). Out: the same works stepped, or `None`
//! where FF1 refused a value or its walk did not end. Decryption (`reveal`, one value) and
//! the general implementation step value by value, through the same passes.
use super::Fpe;
use super::engine::Tag;
use super::ff1::{join_num, split_num};
use super::kinds::Work;

/// Cycle-walking gives up after this many passes (never reached in practice: the densest
/// restriction, JMBG, needs about two steps on average).
pub(super) const MAX_WALK: usize = 10_000;

/// The works waiting for a step under one tag and length.
struct Group {
    tag: Tag,
    n: usize,
    members: Vec<usize>,
}

/// Scratch space reused over the passes of a batch.
#[derive(Default)]
struct Scratch {
    groups: Vec<Group>,
    halves: Vec<(u128, u128)>,
    stepped: Vec<usize>,
}

impl Fpe {
    /// Step every work until its kind accepts the result; a work FF1 refuses, or whose walk
    /// does not end within [`MAX_WALK`] passes, becomes `None`.
    pub(super) fn run(&self, works: &mut [Option<Work>], decrypt: bool) {
        let mut live: Vec<usize> = (0..works.len()).filter(|&i| works[i].is_some()).collect();
        let mut scratch = Scratch::default();
        for _ in 0..MAX_WALK {
            if live.is_empty() {
                return;
            }
            group(works, &live, &mut scratch.groups);
            let groups = std::mem::take(&mut scratch.groups);
            for g in groups.iter().filter(|g| !g.members.is_empty()) {
                self.step_group(works, g, decrypt, &mut scratch);
            }
            scratch.groups = groups;
            live.retain(|&i| works[i].as_ref().is_some_and(|w| !w.accepted()));
        }
        for i in live {
            works[i] = None;
        }
    }

    /// One FF1 step for every member of `g`: lock-step on the specialised implementation,
    /// value by value otherwise.
    fn step_group(&self, works: &mut [Option<Work>], g: &Group, decrypt: bool, s: &mut Scratch) {
        let fast = (!self.general_only && !decrypt)
            .then(|| self.engine.prepared(g.tag, g.n))
            .flatten();
        let Some((ff1, dom)) = fast else {
            for &i in &g.members {
                let ok = works[i]
                    .as_mut()
                    .is_some_and(|w| self.step(g.tag, w.x_mut(), decrypt).is_some());
                if !ok {
                    works[i] = None;
                }
            }
            return;
        };
        s.halves.clear();
        s.stepped.clear();
        for &i in &g.members {
            match works[i].as_ref().and_then(|w| split_num(dom, w.x())) {
                Some(h) => {
                    s.halves.push(h);
                    s.stepped.push(i);
                }
                None => works[i] = None,
            }
        }
        ff1.encrypt_many(dom, &mut s.halves);
        for (&i, &h) in s.stepped.iter().zip(&s.halves) {
            if let Some(w) = works[i].as_mut() {
                join_num(dom, h, w.x_mut());
            }
        }
    }
}

/// The live works in groups of one tag and length (a batch has a handful of groups; the
/// groups' vectors are kept over the passes).
fn group(works: &[Option<Work>], live: &[usize], groups: &mut Vec<Group>) {
    for g in groups.iter_mut() {
        g.members.clear();
    }
    for &i in live {
        let Some(w) = works[i].as_ref() else { continue };
        let (tag, n) = (w.tag(), w.x().len());
        match groups.iter_mut().find(|g| g.tag == tag && g.n == n) {
            Some(g) => g.members.push(i),
            None => groups.push(Group {
                tag,
                n,
                members: vec![i],
            }),
        }
    }
}
