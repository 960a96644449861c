//! The pipeline as Rust types: a GitHub Actions workflow, its jobs and steps, the matrix and
//! the permissions. [`super::pipeline`] builds one from the project's settings and the catalog;
//! src/emit/workflow.yml.j2 renders it ([`crate::emit::workflow_yml`]).

use std::collections::BTreeMap;

use serde::Serialize;

/// One workflow file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Workflow {
    /// The workflow's `name`.
    pub name: String,
    /// The branch whose pushes run it (and publish caches); pull requests and `v*` tags run it
    /// too.
    pub branch: String,
    /// The workflow-wide `permissions` (`contents: read`); jobs widen their own.
    pub permissions: BTreeMap<String, Permission>,
    /// The `concurrency` group (an expression).
    pub concurrency_group: String,
    /// Whether a newer run cancels this one (an expression: pull requests only).
    pub cancel_in_progress: String,
    /// The jobs, in order.
    pub jobs: Vec<Job>,
}

/// One job.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Job {
    /// The job's id (the key under `jobs:`, what `needs:` names).
    pub id: String,
    /// Its display name.
    pub name: String,
    /// The jobs it waits for.
    pub needs: Vec<String>,
    /// Its `if:` (an expression without `${{ }}`), when it runs only sometimes.
    pub condition: Option<String>,
    /// The runner label (`runs-on`), or an expression naming the matrix's.
    pub runs_on: String,
    /// `timeout-minutes`.
    pub timeout_minutes: u32,
    /// Permissions wider than the workflow's, for this job only.
    pub permissions: BTreeMap<String, Permission>,
    /// `strategy.matrix.include`: one map per entry (empty: no matrix).
    pub matrix: Vec<BTreeMap<String, String>>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One permission of the job token: its access and why it is needed (the comment beside it).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Permission {
    /// `read` or `write`.
    pub access: String,
    /// What needs it.
    pub why: String,
}

impl Permission {
    /// `access`, needed for `why`.
    pub fn new(access: &str, why: &str) -> Permission {
        Permission {
            access: access.into(),
            why: why.into(),
        }
    }
}

/// One step: an action (`uses`) or a shell script (`run`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct Step {
    /// Its display name.
    pub name: String,
    /// Its `if:`, when it runs only sometimes.
    pub condition: Option<String>,
    /// `owner/repo@<40-hex commit>` of an action.
    pub uses: Option<String>,
    /// The tag that commit is (the trailing comment).
    pub uses_tag: Option<String>,
    /// The action's inputs.
    pub with: BTreeMap<String, String>,
    /// Variables for the step; every value a script needs from an expression comes through here,
    /// never as `${{ }}` inside the script.
    pub env: BTreeMap<String, String>,
    /// The script's lines (empty: an action step).
    pub run_lines: Vec<String>,
}

impl Step {
    /// A step running `script` (lines separated by `\n`) with `env`.
    pub fn run(name: &str, script: &str, env: &[(&str, &str)]) -> Step {
        Step {
            name: name.into(),
            run_lines: script.lines().map(str::to_string).collect(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Step::default()
        }
    }

    /// The same step, run only when `condition` holds.
    pub fn when(mut self, condition: &str) -> Step {
        self.condition = Some(condition.into());
        self
    }
}
