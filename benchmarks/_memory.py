"""Peak resident memory for the benchmarks (Linux /proc): what a process really used."""


def peak_rss() -> int:
    """VmHWM in bytes: unlike ru_maxrss it is not inherited across fork+exec."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def reset_peak() -> None:
    """Start a new peak window (writing 5 to clear_refs resets VmHWM)."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
