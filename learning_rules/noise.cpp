// SPDX-License-Identifier: MIT
#include "learning_rules/noise.h"

#include <cmath>
#include <cstring>

#include "hw_models/core/distributions.h"

namespace xb::rules {

namespace {

// Forwards every bound field except one to a ParamReader (used to read `beta` separately,
// since it may be a word or a list).
struct SkipReader {
  ParamReader& reader;
  const char* skip;
  template <class T>
  void operator()(const char* name, T& field, const char* unit, const char* description) {
    if (std::strcmp(name, skip) != 0) reader(name, field, unit, description);
  }
};

}  // namespace

void EstimatorNoiseParams::validate(const Scope& s) const {
  s.require_one_of("beta", beta, {"ones", "random", "list"});
  if (beta == "list") {
    double sq = 0;
    for (double v : beta_list) sq += v * v;
    s.require(!beta_list.empty() && sq > 0 && std::isfinite(sq), "beta", "[...]",
              "an explicit beta list must be non-empty, finite and not all zero");
  }
  s.require_ge("sigma", sigma, 0.0);
  s.require(std::isfinite(b), "b", b, "must be finite");
  s.require_one_of("f_of_n", f_of_n, {"1", "N", "sqrt(N)", "power"});
  s.require(std::isfinite(f_power), "f_power", f_power, "must be finite");
  s.require_one_of("noise", noise, {"gaussian", "sphere", "student_t", "alpha_stable"});
  s.require_gt("nu", nu, 2.0);
  s.require(alpha > 0.0 && alpha <= 2.0, "alpha", alpha, "must be in (0, 2]");
  s.require_in("theta", theta, -1.0, 1.0);
  s.require_one_of("sampling", sampling, {"iid", "antithetic"});
}

EstimatorNoiseParams EstimatorNoiseParams::read(const Scope& scope) {
  EstimatorNoiseParams p;
  ParamReader reader(scope);
  Config& cfg = scope.config();
  const std::string key = scope.key("beta");
  const YAML::Node node = cfg.get(key);
  if (node && node.IsSequence()) {
    reader("beta", p.beta_list, "1", "");
    p.beta = "list";
  } else {
    reader("beta", p.beta, "", "");
  }
  p.bind(reader);
  p.validate(scope);
  return p;
}

std::vector<ParamRow> EstimatorNoiseParams::describe_rows() {
  std::vector<ParamRow> rows = describe_params<EstimatorNoiseParams>();
  rows.insert(rows.begin() + 1,
              ParamRow{"beta", "ones", "",
                       "bias direction: ones | random | explicit list; rescaled to norm sqrt(N)",
                       "", false, ""});
  return rows;
}

double f_of_n(const std::string& rule, double power, Index n) {
  const double dn = double(n);
  if (rule == "1") return 1.0;
  if (rule == "N") return dn;
  if (rule == "sqrt(N)") return std::sqrt(dn);
  return std::pow(dn, power);  // "power"
}

EstimatorNoise::EstimatorNoise(const EstimatorNoiseParams& p, Index n, const Rng& beta_rng)
    : p_(p), n_(n), f_(f_of_n(p.f_of_n, p.f_power, n)), beta_(n) {
  if (p.beta == "ones") {
    beta_.setOnes();
  } else if (p.beta == "random") {
    Rng r = beta_rng;
    r.fill_normal(beta_.data(), n);
  } else {
    if (Index(p.beta_list.size()) != n)
      throw ConfigError("beta: explicit list has " + std::to_string(p.beta_list.size()) +
                        " entries but the model has N = " + std::to_string(n) + " parameters");
    for (Index i = 0; i < n; ++i) beta_[i] = p.beta_list[std::size_t(i)];
  }
  // ||beta|| = sqrt(N) [G23 eq. 1].
  beta_ *= std::sqrt(double(n)) / beta_.norm();
}

void EstimatorNoise::sample(const Rng& rng, uint64_t draw, VectorD& out) const {
  out.resize(n_);
  const bool anti = p_.sampling == "antithetic";
  Rng r = rng.at(anti ? draw / 2 : draw);
  const double inv_sqrt_n = 1.0 / std::sqrt(double(n_));
  if (p_.noise == "gaussian") {
    r.fill_normal(out.data(), n_);
    out *= inv_sqrt_n;
  } else if (p_.noise == "sphere") {
    // A Gaussian direction normalised to unit length is uniform on the sphere.
    r.fill_normal(out.data(), n_);
    out /= out.norm();
  } else if (p_.noise == "student_t") {
    fill_student_t_unit(r, p_.nu, out.data(), n_);
    out *= inv_sqrt_n;
  } else {
    fill_alpha_stable(r, p_.alpha, p_.theta, out.data(), n_);
    out *= inv_sqrt_n / std::sqrt(2.0);  // S_2(1, 0, 0) = N(0, 2)
  }
  if (anti && (draw & 1u)) out = -out;
}

void EstimatorNoise::perturbation(const Rng& rng, uint64_t draw, VectorD& out) const {
  sample(rng, draw, out);
  out *= p_.sigma * std::sqrt(f_);
  out += p_.b * beta_;
}

}  // namespace xb::rules
