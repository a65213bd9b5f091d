"""Airflow DAG: the anonkos nightly scan of the warehouse exports.

BashOperator fails the task on a non-zero exit code, so exit 5 (drift: personal data
appeared where there was none) fails the run and Airflow's alerting (email_on_failure,
on_failure_callback) fires. The scan is incremental (--state): unchanged files and dump
tables are not read again. tests/it/nightly.rs runs the bash_command below.
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG(
    dag_id="anonkos_nightly_scan",
    schedule="30 2 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 0, "email_on_failure": True},
    tags=["privacy", "anonkos"],
) as dag:
    scan = BashOperator(
        task_id="anonkos_scan",
        bash_command="/usr/local/bin/anonkos scan /srv/warehouse/exports --state /var/lib/anonkos/nightly.state --baseline /var/lib/anonkos/nightly.state --format json --output /var/lib/anonkos/nightly-report.json",
        # 5: drift alert, 3: an input could not be read; both fail the task.
        execution_timeout=timedelta(hours=2),
    )
