//! The jitter's generator is seeded once per process: processes started one after another
//! must draw apart, or the jitter would not spread their retries. (Added for the mutation
//! run of `retry.rs`: it kills `| 1` to `& 1` in `unit_random`, which leaves only two seeds,
//! and `wall_nanos` returning a constant.)

use super::unit_random;
use std::process::Command;

/// Set in the child processes of `processes_started_apart_draw_apart`.
const CHILD: &str = "SONORAN_JITTER_SEED_CHILD";

/// Run by `processes_started_apart_draw_apart` in a fresh process of this test binary:
/// prints that process's first draw (nothing else in the process has drawn or read the
/// runtime's clock before it).
#[test]
#[ignore = "run as a child process by processes_started_apart_draw_apart"]
fn print_first_draw() {
    assert!(
        std::env::var_os(CHILD).is_some(),
        "run only by processes_started_apart_draw_apart"
    );
    let draw = unit_random();
    assert!((0.0..1.0).contains(&draw), "{draw}");
    println!("first draw: {:016x}", draw.to_bits());
}

/// Three fresh processes, one after another, draw three different first numbers. A
/// generator that can start from only two states (or one) cannot pass: two of the three
/// would share their draw.
#[test]
fn processes_started_apart_draw_apart() {
    let exe = std::env::current_exe().expect("the test binary");
    let draws: Vec<String> = (0..3)
        .map(|_| {
            let out = Command::new(&exe)
                .args([
                    "--exact",
                    "retry::seed_tests::print_first_draw",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD, "1")
                .output()
                .expect("the test binary runs");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "the child failed:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            stdout
                .lines()
                // libtest prints the test's name on the same line first.
                .find_map(|l| l.split("first draw: ").nth(1))
                .and_then(|rest| rest.split_whitespace().next())
                .unwrap_or_else(|| panic!("no draw printed:\n{stdout}"))
                .to_string()
        })
        .collect();
    assert!(
        draws[0] != draws[1] && draws[0] != draws[2] && draws[1] != draws[2],
        "fresh processes drew the same: {draws:?}"
    );
}
