//! Signed-digit recoding of scalars.

/// Number of signed `c`-bit windows needed for scalars of `bits` bits.
///
/// Signed recoding can carry one bit past the top, so the windows must cover `bits + 1` bits;
/// `bits / c + 1` windows do, and the top window then never carries out (its value is below
/// `2^(bits mod c) <= 2^(c-1)`, plus a carry of one).
pub(crate) fn window_count(bits: u32, c: u32) -> usize {
    (bits / c + 1) as usize
}

/// Writes the signed base-`2^c` digits of `limbs` (little-endian u64 limbs, value below
/// `2^bits` as in [`window_count`]) into `out`, least significant first.
///
/// Every digit lies in `[-2^(c-1) + 1, 2^(c-1)]`, so `|d| - 1` indexes `2^(c-1)` buckets and a
/// negative digit adds the negated point (negation is free in short Weierstrass form).
pub(crate) fn signed_digits(limbs: &[u64], c: u32, out: &mut [i32]) {
    let mask = (1u64 << c) - 1;
    let half = 1u64 << (c - 1);
    let full = 1i64 << c;
    let mut carry = 0u64;
    for (j, d) in out.iter_mut().enumerate() {
        let bit = j * c as usize;
        let limb = bit / 64;
        let off = (bit % 64) as u32;
        let mut v = match limbs.get(limb) {
            Some(l) => l >> off,
            None => 0,
        };
        if off + c > 64 {
            if let Some(next) = limbs.get(limb + 1) {
                v |= next << (64 - off);
            }
        }
        v = (v & mask) + carry;
        if v > half {
            *d = (v as i64 - full) as i32;
            carry = 1;
        } else {
            *d = v as i32;
            carry = 0;
        }
    }
    debug_assert_eq!(carry, 0, "scalar wider than the windows cover");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(digits: &[i32], c: u32) -> i128 {
        digits
            .iter()
            .rev()
            .fold(0i128, |acc, &d| (acc << c) + d as i128)
    }

    #[test]
    fn digits_recompose_to_the_scalar() {
        let c_values = [2u32, 3, 5, 8, 13, 16, 17];
        let scalars: [u64; 6] = [0, 1, 2, 0x7fff, 0xffff_ffff, 0x1234_5678_9abc_def0 >> 2];
        for &c in &c_values {
            for &s in &scalars {
                // 63-bit values, so window_count(63, c) windows suffice.
                let w = window_count(63, c);
                let mut out = vec![0i32; w];
                signed_digits(&[s], c, &mut out);
                assert_eq!(value(&out, c), s as i128, "c = {c}, s = {s:#x}");
                let half = 1i32 << (c - 1);
                assert!(out.iter().all(|&d| d > -half && d <= half), "c = {c}");
            }
        }
    }
}
