"""What machine a benchmark ran on, and how its figures are written, for the reports."""
import os
import statistics


def describe():
    """'2 cores, Intel(R) Xeon(R) Processor'"""
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {cpu}"


def spread(values, fmt="{:.2f}"):
    """The median, and the range when there is more than one value: '1.20 (1.10-1.31)'."""
    med = statistics.median(values)
    if len(values) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(min(values))}-{fmt.format(max(values))})"
