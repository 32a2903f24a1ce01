//! End-to-end suite: HTTP only, against a local stack it starts on free ports (once for all cases),
//! or against a deployed stage when `API_URL` and `API_KEY` are set.
//!
//! Cases run in parallel. Cases that change what others observe (admin duration and faults, the
//! database checksum, the fuzz pass) take the suite's exclusive lock; the others share it.

mod cases;
mod fuzz;
mod idempotency;
mod injection;
mod reliability;
mod support;

use std::process::ExitCode;
use std::sync::Arc;

use e2e_tests::Target;
use libtest_mimic::{Arguments, Trial};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use support::{Case, Needs, Suite};

fn all_cases() -> Vec<Case> {
    let mut all = cases::cases();
    all.extend(injection::cases());
    all.extend(fuzz::cases());
    all.extend(idempotency::cases());
    all.extend(reliability::cases());
    all
}

fn main() -> ExitCode {
    let mut args = Arguments::from_args();
    // The cases wait on the network, not the CPU.
    args.test_threads.get_or_insert(6);
    let cases = all_cases();
    if args.list {
        let trials = cases.iter().map(|case| Trial::test(case.name, || Ok(())));
        return libtest_mimic::run(&args, trials.collect()).exit_code();
    }

    stop_the_stack_on_signal();
    let logs_dir = local_stack::workspace_root().join("target/e2e-logs");
    let target = match Target::from_env_or_start(&logs_dir) {
        Ok(target) => target,
        Err(error) => {
            local_stack::child::stop_all();
            eprintln!("e2e: cannot start the local stack: {error}");
            return ExitCode::FAILURE;
        }
    };
    match &target.local {
        Some(local) => eprintln!(
            "e2e: local stack at {} (process logs in {})",
            target.api.base_url,
            local.logs_dir.display()
        ),
        None => {
            eprintln!(
                "e2e: API_URL and API_KEY are set: testing {}",
                target.api.base_url
            );
            for case in cases.iter().filter(|case| case.needs == Needs::LocalStack) {
                eprintln!(
                    "e2e: skipping {}: it needs the local Data API's admin endpoint or the test stages",
                    case.name
                );
            }
        }
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the runtime starts");
    let suite = Arc::new(Suite::new(target, runtime.handle().clone()));
    let trials = cases
        .into_iter()
        .map(|case| {
            let skip = case.needs == Needs::LocalStack && suite.target.local.is_none();
            let suite = Arc::clone(&suite);
            Trial::test(case.name, move || {
                suite.run(&case);
                Ok(())
            })
            .with_ignored_flag(skip)
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    // Nothing may outlive the suite: the stack stops before the process exits.
    if let Some(local) = &suite.target.local {
        local.stop();
    }
    conclusion.exit_code()
}

/// Ctrl-C while the suite runs stops the stack too.
fn stop_the_stack_on_signal() {
    let Ok(mut signals) = Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            local_stack::child::stop_all();
            std::process::exit(128 + signal);
        }
    });
}
