use ark_bn254::{Fq, Fr};
use ark_ff::{Field, UniformRand};
use std::time::Instant;
fn main() {
    let mut rng = ark_std::test_rng();
    let n = 20_000_000;
    let mut v: Vec<Fq> = (0..1024).map(|_| Fq::rand(&mut rng)).collect();
    let w: Vec<Fq> = (0..1024).map(|_| Fq::rand(&mut rng)).collect();
    let b = Fq::rand(&mut rng);
    let t = Instant::now();
    for _ in 0..n / 1024 {
        for x in v.iter_mut() {
            *x *= b;
        }
    }
    println!(
        "Fq mul: {:.2} ns ({})",
        t.elapsed().as_nanos() as f64 / n as f64,
        v[3]
    );
    let t = Instant::now();
    for _ in 0..n / 1024 {
        for x in v.iter_mut() {
            *x = x.square();
        }
    }
    println!(
        "Fq square: {:.2} ns ({})",
        t.elapsed().as_nanos() as f64 / n as f64,
        v[3]
    );
    let t = Instant::now();
    for _ in 0..n / 1024 {
        for (x, y) in v.iter_mut().zip(&w) {
            *x -= y;
        }
    }
    println!(
        "Fq sub (random operands): {:.2} ns ({})",
        t.elapsed().as_nanos() as f64 / n as f64,
        v[3]
    );
    let t = Instant::now();
    for _ in 0..n / 1024 {
        for (x, y) in v.iter_mut().zip(&w) {
            *x += y;
        }
    }
    println!(
        "Fq add (random operands): {:.2} ns ({})",
        t.elapsed().as_nanos() as f64 / n as f64,
        v[3]
    );
    let t = Instant::now();
    let mut acc = Fq::rand(&mut rng);
    for _ in 0..20 {
        acc = acc.inverse().unwrap() + b;
    }
    println!("Fq inverse: {:.0} ns", t.elapsed().as_nanos() as f64 / 20.0);
    let mut r: Vec<Fr> = (0..1024).map(|_| Fr::rand(&mut rng)).collect();
    let rb = Fr::rand(&mut rng);
    let t = Instant::now();
    for _ in 0..n / 1024 {
        for x in r.iter_mut() {
            *x *= rb;
        }
    }
    println!(
        "Fr mul: {:.2} ns ({})",
        t.elapsed().as_nanos() as f64 / n as f64,
        r[3]
    );
}
