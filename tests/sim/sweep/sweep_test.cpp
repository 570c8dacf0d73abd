// SPDX-License-Identifier: MIT
// Sweeps: grid expansion (crossed and zipped), ordering and folder names, schema errors,
// the results tables, and end-to-end through the real binary ($XBARSIM): --jobs 1 vs 2,
// SIGKILL then --resume, mpirun vs threads. Test points are tiny device_response runs.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "hw_models/core/errors.h"
#include "sim/sweep/sweep.h"
#include "sim/sweep/sweep_tables.h"

namespace {

namespace fs = std::filesystem;
using xb::ConfigError;
using xb::sim::parse_sweep;
using xb::sim::SweepSpec;

std::string xbarsim_exe() {
  const char* exe = std::getenv("XBARSIM");
  return exe ? exe : "xbarsim";
}

fs::path scratch(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("xb_sweep_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Result {
  int code;
  std::string err;
};

Result run(const std::string& args, const fs::path& dir) {
  const fs::path err = dir / "stderr.txt";
  const std::string cmd = args + " >/dev/null 2>" + err.string();
  const int rc = std::system(cmd.c_str());
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, read(err)};
}

Result sweep(const std::string& args, const fs::path& dir) {
  return run(xbarsim_exe() + " sweep " + args, dir);
}

std::string message_of(const std::string& text) {
  try {
    parse_sweep(text, "s.yaml", "");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(SweepGrid, CrossedAxesNestInFileOrderLastFastest) {
  const SweepSpec s = parse_sweep(
      "base: b.yaml\naxes:\n  rule.b: [0.0, 0.01]\n  rule.sigma: [0.1, 0.5, 1]\nseeds: [3, 1]\n",
      "s.yaml", "cfg");
  EXPECT_EQ(s.base, "cfg/b.yaml");
  ASSERT_EQ(s.points.size(), 6u);
  EXPECT_EQ(s.tasks(), 12u);
  const std::vector<std::vector<std::string>> want = {
      {"0.0", "0.1"}, {"0.0", "0.5"}, {"0.0", "1"}, {"0.01", "0.1"}, {"0.01", "0.5"}, {"0.01", "1"}};
  EXPECT_EQ(s.points, want);
  EXPECT_EQ(s.overrides(4), (std::vector<std::string>{"rule.b=0.01", "rule.sigma=0.5"}));
  // Seeds keep the file's order; folder names pad the point index.
  EXPECT_EQ(s.seeds, (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(s.folder(4, 1), "runs/p4_s1");
}

TEST(SweepGrid, ZippedAxesAdvanceTogether) {
  const SweepSpec s = parse_sweep(
      "base: b.yaml\n"
      "axes:\n  a: [1, 2, 3]\n  b: [x, y]\n  c: [10, 20, 30]\n  d: [[1, 2], {k: v}]\n"
      "zip: [[a, c]]\n",
      "s.yaml", "");
  // Units: (a,c) at a's place, then b, then d: 3 x 2 x 2 points.
  ASSERT_EQ(s.points.size(), 12u);
  EXPECT_EQ(s.points[0], (std::vector<std::string>{"1", "x", "10", "[1, 2]"}));
  EXPECT_EQ(s.points[1], (std::vector<std::string>{"1", "x", "10", "{k: v}"}));
  EXPECT_EQ(s.points[2], (std::vector<std::string>{"1", "y", "10", "[1, 2]"}));
  EXPECT_EQ(s.points[4], (std::vector<std::string>{"2", "x", "20", "[1, 2]"}));
  EXPECT_EQ(s.points[11], (std::vector<std::string>{"3", "y", "30", "{k: v}"}));
  EXPECT_EQ(s.seeds, (std::vector<int64_t>{1}));  // the default
  EXPECT_EQ(s.folder(3, 0), "runs/p03_s1");
  // A sweep without axes is one point.
  EXPECT_EQ(parse_sweep("base: b.yaml\nseeds: [1, 2]\n", "s.yaml", "").tasks(), 2u);
}

TEST(SweepGrid, SchemaErrorsNameTheKeyAndRule) {
  EXPECT_NE(message_of("base: b.yaml\naxis: {a: [1]}\n").find("axis = {a: [1]}: unknown key"),
            std::string::npos);
  EXPECT_NE(message_of("base: b.yaml\naxis: {a: [1]}\n").find("did you mean 'axes'"),
            std::string::npos);
  EXPECT_NE(message_of("axes: {a: [1]}\n").find("s.yaml: base = <missing>"), std::string::npos);
  EXPECT_NE(message_of("base: b.yaml\naxes: {a: []}\n").find("axes.a = []: must be a non-empty list"),
            std::string::npos);
  EXPECT_NE(message_of("base: b.yaml\naxes: {a: 3}\n").find("axes.a = 3"), std::string::npos);
  EXPECT_NE(message_of("base: b.yaml\naxes: {seed: [1, 2]}\n").find("axes.seed"), std::string::npos);
  EXPECT_NE(message_of("base: b.yaml\naxes: {a: [1], a.b: [2]}\n").find("overlaps axis a"),
            std::string::npos);
  EXPECT_NE(message_of("base: b.yaml\naxes: {ab: [1, 2], c: [1]}\nzip: [[ab, c]]\n")
                .find("zip[0] = c: zipped axes need equal lengths"),
            std::string::npos);
  EXPECT_NE(message_of("base: b.yaml\naxes: {abc: [1, 2], c: [1, 2]}\nzip: [[abd, c]]\n")
                .find("zip[0] = abd: not an axis (did you mean 'abc'?)"),
            std::string::npos);
  EXPECT_NE(message_of("base: b.yaml\naxes: {a: [1], b: [2], c: [3]}\nzip: [[a, b], [b, c]]\n")
                .find("zip[1] = b: the axis is already in another zip group"),
            std::string::npos);
  EXPECT_NE(message_of("base: b.yaml\nseeds: [1, -2]\n").find("seeds = -2: must be an integer >= 0"),
            std::string::npos);
  EXPECT_NE(message_of("base: b.yaml\nseeds: [1, 1]\n").find("distinct"), std::string::npos);
  EXPECT_NE(message_of("base: b.yaml\nseeds: [x]\n").find("seeds = x"), std::string::npos);
  EXPECT_NE(message_of("base: [b.yaml\n").find("s.yaml: malformed YAML"), std::string::npos);
}

TEST(SweepTables, ResultsKeepScalarsInOrderAndDropWallSeconds) {
  using Json = nlohmann::ordered_json;
  std::vector<xb::sim::SweepRow> rows(4);
  const double loss[4] = {1.0, 2.0, 3.0, 5.0};
  for (int i = 0; i < 4; ++i) {
    rows[i].point = i / 2;
    rows[i].axis_values = {i < 2 ? "0.1" : "[1, 2]"};
    rows[i].seed = 1 + i % 2;
    rows[i].summary = Json{{"loss", loss[i]}, {"hist", {1, 2}},    {"note", "a,b"},
                           {"status", "ok"},  {"seed", 1 + i % 2}, {"wall_seconds", 0.5 * i}};
  }
  rows[3].summary["status"] = "diverged";
  EXPECT_EQ(xb::sim::results_csv({"rule.b"}, rows),
            "rule.b,seed,loss,note,status\n"
            "0.1,1,1,\"a,b\",ok\n"
            "0.1,2,2,\"a,b\",ok\n"
            "\"[1, 2]\",1,3,\"a,b\",ok\n"
            "\"[1, 2]\",2,5,\"a,b\",diverged\n");
  // Mean and Student-t half-width over the two seeds of each point: t_{0.975,1} = 12.7062,
  // s = |x1 - x2| / sqrt(2), half = t s / sqrt(2) = t |x1 - x2| / 2.
  const std::string mean = xb::sim::results_mean_csv({"rule.b"}, rows);
  std::istringstream in(mean);
  std::string header, r0, r1;
  std::getline(in, header);
  std::getline(in, r0);
  std::getline(in, r1);
  EXPECT_EQ(header, "rule.b,n_seeds,n_ok,loss_mean,loss_ci95");
  const double t1 = xb::sim::student_t95(1);
  EXPECT_NEAR(t1, 12.706204736174707, 1e-9);
  EXPECT_EQ(r0.substr(0, r0.rfind(',') + 1), "0.1,2,2,1.5,");
  EXPECT_NEAR(std::stod(r0.substr(r0.rfind(',') + 1)), t1 * 0.5, 1e-12);
  EXPECT_EQ(r1.substr(0, r1.rfind(',') + 1), "\"[1, 2]\",2,1,4,");
  EXPECT_NEAR(std::stod(r1.substr(r1.rfind(',') + 1)), t1 * 1.0, 1e-12);
  EXPECT_NEAR(xb::sim::student_t95(10), 2.2281388519649385, 1e-9);
}

// Sweep fixtures: 4 points x 2 seeds of a small array; the kill test uses bigger points.
void write_sweep(const fs::path& dir, int rows, int pulses) {
  write(dir / "base.yaml",
        "device: {type: ideal, dw_min: 0.01}\n"
        "experiment: {type: device_response, rows: " + std::to_string(rows) + ", cols: " +
            std::to_string(rows) + ", n_up: " + std::to_string(pulses) + ", n_down: " +
            std::to_string(pulses) + "}\n");
  write(dir / "sweep.yaml",
        "base: base.yaml\n"
        "axes:\n"
        "  device.dw_min: [0.01, 0.02]\n"
        "  experiment.n_up: [3, 7]\n"
        "  device.w_max: [1.0, 0.5]\n"
        "zip: [[experiment.n_up, device.w_max]]\n"
        "seeds: [5, 2]\n");
}

TEST(SweepCli, TablesDoNotDependOnJobsAndExistingFoldersAreKept) {
  const fs::path dir = scratch("jobs");
  write_sweep(dir, 3, 5);
  const std::string file = (dir / "sweep.yaml").string();
  ASSERT_EQ(sweep(file + " --out " + (dir / "j1").string() + " --jobs 1 --quiet", dir).code, 0);
  const Result r2 = sweep(file + " --out " + (dir / "j2").string() + " --jobs 2", dir);
  ASSERT_EQ(r2.code, 0) << r2.err;
  const std::string t1 = read(dir / "j1/results.csv");
  EXPECT_EQ(t1, read(dir / "j2/results.csv"));
  EXPECT_EQ(read(dir / "j1/results_mean.csv"), read(dir / "j2/results_mean.csv"));
  // Rows by point then seed (in the file's seed order), axis values as written.
  std::istringstream in(t1);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.rfind("device.dw_min,experiment.n_up,device.w_max,seed,mean_step_up_at_zero", 0), 0u)
      << line;
  EXPECT_EQ(line.find("wall_seconds"), std::string::npos);
  std::vector<std::string> starts;
  while (std::getline(in, line)) starts.push_back(line.substr(0, line.find(',', line.find(',', line.find(',') + 1) + 1) + 2));
  EXPECT_EQ(starts, (std::vector<std::string>{"0.01,3,1.0,5", "0.01,3,1.0,2", "0.01,7,0.5,5",
                                              "0.01,7,0.5,2", "0.02,3,1.0,5", "0.02,3,1.0,2",
                                              "0.02,7,0.5,5", "0.02,7,0.5,2"}));
  // Run folders, and copies of the sweep file and base config.
  EXPECT_TRUE(fs::exists(dir / "j1/runs/p2_s5/metrics.csv"));
  EXPECT_NE(read(dir / "j1/runs/p3_s2/config.yaml").find("w_max: 0.5"), std::string::npos);
  EXPECT_EQ(read(dir / "j1/sweep.yaml"), read(dir / "sweep.yaml"));
  EXPECT_EQ(read(dir / "j1/base.yaml"), read(dir / "base.yaml"));
  // An existing sweep folder: exit 2 unless --resume (nothing left to do) or --force.
  const Result again = sweep(file + " --out " + (dir / "j1").string(), dir);
  EXPECT_EQ(again.code, 2);
  EXPECT_NE(again.err.find("--resume"), std::string::npos) << again.err;
  EXPECT_EQ(sweep(file + " --out " + (dir / "j1").string() + " --resume --quiet", dir).code, 0);
  EXPECT_EQ(sweep(file + " --out " + (dir / "j1").string() + " --force --quiet", dir).code, 0);
  EXPECT_EQ(read(dir / "j1/results.csv"), t1);
  // Resuming with a different sweep file is refused.
  write(dir / "other.yaml", read(dir / "sweep.yaml") + "# changed\n");
  EXPECT_EQ(sweep((dir / "other.yaml").string() + " --out " + (dir / "j1").string() + " --resume", dir).code, 2);
}

TEST(SweepCli, BadSweepFilesExitTwoNamingTheKey) {
  const fs::path dir = scratch("bad");
  write_sweep(dir, 3, 5);
  struct Case {
    std::string text, expect;
  };
  const std::vector<Case> cases = {
      {"base: base.yaml\naxes: {device.dw_min: [0.01, -0.5]}\n",
       "point 1 (device.dw_min=-0.5)"},
      {"base: base.yaml\naxes: {device.dw_min: [0.01, -0.5]}\n", "device.dw_min = -0.5: must be > 0"},
      {"base: base.yaml\naxes: {experiment.rowz: [2]}\n", "did you mean 'experiment.rows'"},
      {"base: missing.yaml\n", "base = "},
      {"base: base.yaml\nseed: [1]\n", "did you mean 'seeds'"},
  };
  for (const auto& c : cases) {
    write(dir / "bad.yaml", c.text);
    const Result r = sweep((dir / "bad.yaml").string() + " --out " + (dir / "out").string(), dir);
    EXPECT_EQ(r.code, 2) << c.text;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << r.err;
    // Validation happens before anything is written.
    EXPECT_FALSE(fs::exists(dir / "out")) << c.text;
  }
  EXPECT_EQ(sweep((dir / "sweep.yaml").string() + " --jobs 0", dir).code, 2);
  EXPECT_EQ(sweep((dir / "sweep.yaml").string() + " --resume --force", dir).code, 2);
}

// Whether the interpreter `xbarsim plot` and `report` use (Debian's when present) has
// matplotlib.
bool has_matplotlib(const fs::path& dir) {
  const std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  return run(python + " -c 'import matplotlib'", dir).code == 0;
}

// Runs write_sweep(dir, 3, 5) into dir/out; the sweep's exit code.
int small_sweep(const fs::path& dir) {
  write_sweep(dir, 3, 5);
  return sweep((dir / "sweep.yaml").string() + " --out " + (dir / "out").string() + " --quiet",
               dir)
      .code;
}

TEST(SweepCli, PlotDrawsOneFigurePerVaryingColumn) {
  const fs::path dir = scratch("plot");
  if (!has_matplotlib(dir))
    GTEST_SKIP() << "python3 has no matplotlib (apt-get install python3-matplotlib)";
  ASSERT_EQ(small_sweep(dir), 0);
  const fs::path out = dir / "out";
  const Result r = run(xbarsim_exe() + " plot " + out.string(), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  // Two varying units (dw_min crossed with the zipped n_up/w_max): heatmaps of the columns
  // that change over the grid; symmetry_point is 0 everywhere for the ideal device.
  EXPECT_TRUE(fs::exists(out / "sweep_w_mean_after_up.png"));
  EXPECT_TRUE(fs::exists(out / "sweep_n_states.png"));
  EXPECT_FALSE(fs::exists(out / "sweep_symmetry_point.png"));
}

// `xbarsim report` writes one static page with the key-figure table, the figures it drew, the
// per-run table and every run's effective config; a run folder gets its own page; anything
// else is refused.
TEST(SweepCli, ReportWritesAPageWithTablesFiguresAndConfigs) {
  const fs::path dir = scratch("report");
  if (!has_matplotlib(dir))
    GTEST_SKIP() << "python3 has no matplotlib (apt-get install python3-matplotlib)";
  ASSERT_EQ(small_sweep(dir), 0);
  const fs::path out = dir / "out";
  const Result r = run(xbarsim_exe() + " report " + out.string(), dir);
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string page = read(out / "report.html");
  EXPECT_NE(page.find("<table class=\"data\">"), std::string::npos);
  EXPECT_NE(page.find("class=\"figure\" src=\"sweep_n_states.png\""), std::string::npos);
  EXPECT_TRUE(fs::exists(out / "sweep_n_states.png"));  // drawn for the page
  EXPECT_NE(page.find("runs/p0_s5/config.yaml"), std::string::npos);  // seeds 5 and 2
  EXPECT_NE(page.find("data-check"), std::string::npos);
  const fs::path one = out / "runs" / "p0_s5";
  ASSERT_EQ(run(xbarsim_exe() + " report " + one.string(), dir).code, 0);
  EXPECT_NE(read(one / "report.html").find("<h2>Summary</h2>"), std::string::npos);
  EXPECT_EQ(run(xbarsim_exe() + " report " + (dir / "nowhere").string(), dir).code, 2);
  EXPECT_EQ(run(xbarsim_exe() + " report " + dir.string(), dir).code, 2);  // not a run folder
}

int count_done(const fs::path& runs) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(runs, ec))
    n += fs::exists(e.path() / "summary.json");
  return n;
}

TEST(SweepCli, SigkillThenResumeGivesTheUninterruptedTables) {
  const fs::path dir = scratch("kill");
  // ~40 ms per run (128 x 128 devices, 1000 recorded pulses), 16 runs: the kill below
  // lands with most of the sweep still to do.
  write_sweep(dir, 128, 500);
  write(dir / "sweep.yaml",
        "base: base.yaml\naxes:\n  device.dw_min: [0.01, 0.02, 0.03, 0.04]\n"
        "  experiment.n_up: [300, 500]\nseeds: [1, 2]\n");
  const std::string file = (dir / "sweep.yaml").string();
  const fs::path killed = dir / "killed";

  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string exe = xbarsim_exe();
    const std::string out = killed.string();
    std::freopen("/dev/null", "w", stdout);
    std::freopen("/dev/null", "w", stderr);
    ::execl(exe.c_str(), exe.c_str(), "sweep", file.c_str(), "--out", out.c_str(), "--quiet",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait (polling) until a few runs are complete, then kill without warning.
  int status = 0;
  bool exited = false;
  while (count_done(killed / "runs") < 3) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  ASSERT_FALSE(exited && WEXITSTATUS(status) != 0) << "the sweep failed before the kill";
  const int done = count_done(killed / "runs");
  ASSERT_GE(done, 3);
  EXPECT_FALSE(fs::exists(killed / "results.csv")) << "the sweep ended before the kill";

  // A point caught mid-write on top of whatever the kill left: config.yaml, a temporary
  // file and a truncated summary.json must not count as a result.
  const fs::path half = killed / "runs/p7_s2";
  fs::create_directories(half);
  write(half / "config.yaml", "seed: 2\n");
  write(half / "metrics.csv.tmp.123", "cycle,pu");
  write(half / "summary.json", "{\"mean_step_up_at_zero\": 0.0");
  // A finished run keeps its summary (wall_seconds would change if it were run again).
  const std::string first = read(killed / "runs/p0_s1/summary.json");

  const Result resumed = sweep(file + " --out " + killed.string() + " --resume --jobs 2 --quiet", dir);
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(read(killed / "runs/p0_s1/summary.json"), first);
  EXPECT_FALSE(fs::exists(half / "metrics.csv.tmp.123"));

  ASSERT_EQ(sweep(file + " --out " + (dir / "whole").string() + " --quiet", dir).code, 0);
  EXPECT_EQ(read(killed / "results.csv"), read(dir / "whole/results.csv"));
  EXPECT_EQ(read(killed / "results_mean.csv"), read(dir / "whole/results_mean.csv"));
  EXPECT_TRUE(read(killed / "runs/p7_s2/metrics.csv") == read(dir / "whole/runs/p7_s2/metrics.csv"))
      << "the rerun of the half-written point differs from the uninterrupted one";
}

bool on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "");
  std::string d;
  while (std::getline(ss, d, ':'))
    if (!d.empty() && ::access((fs::path(d) / name).c_str(), X_OK) == 0) return true;
  return false;
}

TEST(SweepCli, MpiRanksGiveTheThreadedTables) {
#ifndef XB_HAVE_MPI
  GTEST_SKIP() << "xbarsim was built without MPI (libopenmpi-dev not found by CMake)";
#endif
  if (!on_path("mpirun")) GTEST_SKIP() << "mpirun is not on PATH (apt-get install openmpi-bin)";
  const fs::path dir = scratch("mpi");
  write_sweep(dir, 3, 5);
  const std::string file = (dir / "sweep.yaml").string();
  ASSERT_EQ(sweep(file + " --out " + (dir / "threads").string() + " --jobs 2 --quiet", dir).code, 0);
  const Result r = run("mpirun -n 2 --oversubscribe --allow-run-as-root " + xbarsim_exe() +
                           " sweep " + file + " --out " + (dir / "ranks").string(),
                       dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(read(dir / "ranks/results.csv"), read(dir / "threads/results.csv"));
  EXPECT_EQ(read(dir / "ranks/results_mean.csv"), read(dir / "threads/results_mean.csv"));
  // A bad point under mpirun: exit 2, reported once (by rank 0), nothing written.
  write(dir / "bad.yaml", "base: base.yaml\naxes: {device.dw_min: [0.01, -0.5]}\n");
  const Result bad = run("mpirun -n 2 --oversubscribe --allow-run-as-root " + xbarsim_exe() +
                             " sweep " + (dir / "bad.yaml").string() + " --out " +
                             (dir / "bad").string(),
                         dir);
  EXPECT_EQ(bad.code, 2) << bad.err;
  const std::string key = "device.dw_min = -0.5: must be > 0";
  ASSERT_NE(bad.err.find(key), std::string::npos) << bad.err;
  EXPECT_EQ(bad.err.find(key, bad.err.find(key) + 1), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(dir / "bad"));
}

}  // namespace
