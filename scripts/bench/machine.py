"""What machine a benchmark ran on, for the reports."""
import os


def describe():
    """'2 cores, Intel(R) Xeon(R) Processor'"""
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {cpu}"
