//! A kept cluster (`--data-dir`) loses no acknowledged write when the local Data API or PostgreSQL
//! is killed with SIGKILL, and a database that cannot be reached is answered with the services'
//! own errors. The binary itself runs here, as the local stack runs it.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use aws_sdk_rdsdata::types::{Field, SqlParameter};
use support::{RESOURCE_ARN, SECRET_ARN, workspace_root};

/// A `local-data-api` process and the URL it printed.
struct Running {
    child: Child,
    url: String,
    // Kept open: the server prints more lines, and a closed pipe would fail them.
    _stdout: BufReader<std::process::ChildStdout>,
}

fn start_binary(data_dir: &Path, extra: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_local-data-api"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .arg("--schemas-dir")
        .arg(workspace_root().join("schemas/db"))
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("local-data-api starts");
    let mut first = String::new();
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    stdout.read_line(&mut first).expect("first stdout line");
    let url = first
        .trim()
        .strip_prefix("local-data-api listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    Running {
        child,
        url,
        _stdout: stdout,
    }
}

impl Running {
    /// Dies without cleaning up (its PostgreSQL keeps running).
    fn sigkill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Running {
    /// A clean stop (SIGTERM), which stops its PostgreSQL too.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn kill9(pid: i32) {
    let status = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill -9 {pid}");
}

fn postmaster_pid(data_dir: &Path) -> i32 {
    let text =
        std::fs::read_to_string(data_dir.join("data/postmaster.pid")).expect("postmaster.pid");
    text.lines().next().unwrap().trim().parse().unwrap()
}

async fn rds(url: &str) -> aws_sdk_rdsdata::Client {
    aws_sdk_rdsdata::Client::new(&support::sdk_config_at(url, ("local", "local")).await)
}

/// Inserts staff rows `first..first+count`, each acknowledged (a 200) before the next is sent.
async fn write_rows(url: &str, first: usize, count: usize) -> Vec<String> {
    let client = rds(url).await;
    let mut acknowledged = Vec::new();
    for n in first..first + count {
        let id = format!("{n:04}");
        client
            .execute_statement()
            .resource_arn(RESOURCE_ARN)
            .secret_arn(SECRET_ARN)
            .database("staff")
            .sql("INSERT INTO staff (id, name) VALUES (:id, :name)")
            .parameters(text_parameter("id", &id))
            .parameters(text_parameter("name", &format!("durable {n}")))
            .send()
            .await
            .expect("INSERT acknowledged");
        acknowledged.push(id);
    }
    acknowledged
}

fn text_parameter(name: &str, value: &str) -> SqlParameter {
    SqlParameter::builder()
        .name(name)
        .value(Field::StringValue(value.into()))
        .build()
}

async fn staff_ids(url: &str) -> Vec<String> {
    let output = rds(url)
        .await
        .execute_statement()
        .resource_arn(RESOURCE_ARN)
        .secret_arn(SECRET_ARN)
        .database("staff")
        .sql("SELECT id FROM staff ORDER BY id")
        .send()
        .await
        .expect("SELECT");
    output
        .records()
        .iter()
        .map(|row| match &row[0] {
            Field::StringValue(id) => id.clone(),
            other => panic!("id {other:?}"),
        })
        .collect()
}

fn lost(acknowledged: &[String], present: &[String]) -> Vec<String> {
    acknowledged
        .iter()
        .filter(|id| !present.contains(id))
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_writes_survive_sigkill_of_the_server_and_of_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("pg");

    // First run: a fresh cluster, seeded (3 staff rows).
    let mut first = start_binary(&data_dir, &[]);
    let seeded = staff_ids(&first.url).await;
    assert_eq!(seeded.len(), 3, "seeded rows: {seeded:?}");
    let mut acknowledged = write_rows(&first.url, 1000, 25).await;
    // The Data API dies without cleaning up; its PostgreSQL keeps running.
    first.sigkill();
    let left_running = postmaster_pid(&data_dir);

    // Second run takes the cluster over (stops the one left running, starts its own).
    let mut second = start_binary(&data_dir, &[]);
    assert_ne!(postmaster_pid(&data_dir), left_running);
    let present = staff_ids(&second.url).await;
    assert_eq!(lost(&acknowledged, &present), Vec::<String>::new());
    assert_eq!(present.len(), 3 + 25, "nothing re-seeded: {present:?}");
    acknowledged.extend(write_rows(&second.url, 2000, 25).await);
    // Now PostgreSQL itself crashes, then the Data API: a stale postmaster.pid stays behind.
    kill9(postmaster_pid(&data_dir));
    second.sigkill();

    // Third run recovers from the write-ahead log.
    let mut third = start_binary(&data_dir, &[]);
    let present = staff_ids(&third.url).await;
    let lost = lost(&acknowledged, &present);
    eprintln!(
        "acknowledged writes: {}, lost after SIGKILLs: {}",
        acknowledged.len(),
        lost.len()
    );
    assert_eq!(lost, Vec::<String>::new());
    assert_eq!(present.len(), 3 + 50);
    third.sigkill();

    // `--reset` re-seeds on purpose.
    let reset = start_binary(&data_dir, &["--reset"]);
    assert_eq!(staff_ids(&reset.url).await, seeded);
    drop(reset);
    assert!(
        !data_dir.join("data/postmaster.pid").exists(),
        "a clean stop stops PostgreSQL too"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_server_on_the_same_data_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("pg");
    let first = start_binary(&data_dir, &[]);
    let second = Command::new(env!("CARGO_BIN_EXE_local-data-api"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data_dir)
        .output()
        .expect("second run");
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("in use by another local-data-api"),
        "{stderr}"
    );
    // The first one still serves.
    assert_eq!(staff_ids(&first.url).await.len(), 3);
    drop(first);
    assert!(!data_dir.join("data/postmaster.pid").exists());
}
