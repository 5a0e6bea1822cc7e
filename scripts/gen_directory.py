#!/usr/bin/env python3
"""Generates schemas/directory/haryana.yaml, the seed of the HRMS directory (engine/directory.c).

Deterministic: the same script always writes the same bytes (no clock, no random state; vacancies
come from a CRC of the post id). Python 3 standard library only.

    python3 scripts/gen_directory.py                # writes schemas/directory/haryana.yaml
    python3 scripts/gen_directory.py -o - | less    # to stdout

The model (offices, posts, reporting chains, roles) is described in docs/DIRECTORY.md; role names
here are the ones workflow definitions name, so renaming one is a breaking change.
"""
import argparse
import json
import os
import sys
import zlib

# The 22 districts: code -> name.
DISTRICTS = [
    ("GGN", "Gurugram"), ("FBD", "Faridabad"), ("AMB", "Ambala"), ("PKL", "Panchkula"),
    ("KNL", "Karnal"), ("PNP", "Panipat"), ("SNP", "Sonipat"), ("RTK", "Rohtak"),
    ("HSR", "Hisar"), ("YNR", "Yamunanagar"), ("KKR", "Kurukshetra"), ("KTL", "Kaithal"),
    ("JND", "Jind"), ("SRS", "Sirsa"), ("FTB", "Fatehabad"), ("BHW", "Bhiwani"),
    ("CD", "Charkhi Dadri"), ("MHG", "Mahendragarh"), ("RWR", "Rewari"), ("JJR", "Jhajjar"),
    ("NUH", "Nuh"), ("PWL", "Palwal"),
]

# Urban local bodies: (short code, town, district code). Short codes are unique across all ULBs.
CORPORATIONS = [
    ("GGN", "Gurugram", "GGN"), ("FBD", "Faridabad", "FBD"), ("AMB", "Ambala", "AMB"),
    ("PKL", "Panchkula", "PKL"), ("KNL", "Karnal", "KNL"), ("PNP", "Panipat", "PNP"),
    ("SNP", "Sonipat", "SNP"), ("RTK", "Rohtak", "RTK"), ("HSR", "Hisar", "HSR"),
    ("YNR", "Yamunanagar", "YNR"), ("MNSR", "Manesar", "GGN"),
]
# District headquarters that are not corporations are councils by law, plus the larger towns.
COUNCILS = [
    ("AMBS", "Ambala Sadar", "AMB"), ("THNR", "Thanesar", "KKR"), ("KTL", "Kaithal", "KTL"),
    ("JND", "Jind", "JND"), ("NRW", "Narwana", "JND"), ("SRS", "Sirsa", "SRS"),
    ("DBW", "Mandi Dabwali", "SRS"), ("FTB", "Fatehabad", "FTB"), ("TOH", "Tohana", "FTB"),
    ("BHW", "Bhiwani", "BHW"), ("CDR", "Charkhi Dadri", "CD"), ("NNL", "Narnaul", "MHG"),
    ("RWR", "Rewari", "RWR"), ("BGH", "Bahadurgarh", "JJR"), ("JJR", "Jhajjar", "JJR"),
    ("PWL", "Palwal", "PWL"), ("HDL", "Hodal", "PWL"), ("HNS", "Hansi", "HSR"),
    ("GHN", "Gohana", "SNP"), ("GNR", "Ganaur", "SNP"), ("SOH", "Sohna", "GGN"),
    ("PTD", "Pataudi-Jatauli Mandi", "GGN"), ("NUH", "Nuh", "NUH"),
]
COMMITTEES = [
    ("BRR", "Barara", "AMB"), ("NRG", "Naraingarh", "AMB"), ("KLK", "Kalka", "PKL"),
    ("RDR", "Radaur", "YNR"), ("SDH", "Sadhaura", "YNR"), ("BLP", "Bilaspur", "YNR"),
    ("CHR", "Chhachhrauli", "YNR"), ("SHB", "Shahabad", "KKR"), ("LDW", "Ladwa", "KKR"),
    ("PHW", "Pehowa", "KKR"), ("CHK", "Cheeka", "KTL"), ("PND", "Pundri", "KTL"),
    ("KLT", "Kalayat", "KTL"), ("RJD", "Rajound", "KTL"), ("SWN", "Siwan", "KTL"),
    ("ASD", "Assandh", "KNL"), ("GRD", "Gharaunda", "KNL"), ("NLK", "Nilokheri", "KNL"),
    ("NSG", "Nissing", "KNL"), ("TRD", "Taraori", "KNL"), ("IND", "Indri", "KNL"),
    ("SMK", "Samalkha", "PNP"), ("KHK", "Kharkhoda", "SNP"), ("MHM", "Meham", "RTK"),
    ("KLN", "Kalanaur", "RTK"), ("SMP", "Sampla", "RTK"), ("BRI", "Beri", "JJR"),
    ("SFD", "Safidon", "JND"), ("JLN", "Julana", "JND"), ("UCH", "Uchana", "JND"),
    ("BRW", "Barwala", "HSR"), ("UKL", "Uklana", "HSR"), ("NRN", "Narnaund", "HSR"),
    ("RAT", "Ratia", "FTB"), ("BHN", "Bhuna", "FTB"), ("JKH", "Jakhal Mandi", "FTB"),
    ("ELN", "Ellenabad", "SRS"), ("KLW", "Kalanwali", "SRS"), ("RAN", "Rania", "SRS"),
    ("LHR", "Loharu", "BHW"), ("SWI", "Siwani", "BHW"), ("BKH", "Bawani Khera", "BHW"),
    ("MHG", "Mahendragarh", "MHG"), ("NCH", "Nangal Chaudhry", "MHG"), ("KNN", "Kanina", "MHG"),
    ("ATL", "Ateli Mandi", "MHG"), ("BWL", "Bawal", "RWR"), ("DHR", "Dharuhera", "RWR"),
    ("KSL", "Kosli", "RWR"), ("FNR", "Farrukhnagar", "GGN"), ("FZJ", "Ferozepur Jhirka", "NUH"),
    ("PNH", "Punhana", "NUH"), ("TAO", "Taoru", "NUH"), ("HTN", "Hathin", "PWL"),
]

# ULB kind -> (office kind, name prefix, post-id tag, head role, house role).
ULB_KINDS = {
    "corporation": ("Municipal Corporation", "MC", "COMMISSIONER", "MC_HOUSE"),
    "council": ("Municipal Council", "CL", "EO", "MC_COUNCIL"),
    "committee": ("Municipal Committee", "CM", "SECRETARY", "MC_COMMITTEE"),
}

# Superintending Engineer zones of the Directorate (office ZONE-n, post ZONE-n-SE): name, districts.
SE_ZONES = [
    ("North", ("AMB", "PKL", "YNR", "KKR", "KTL", "KNL")),
    ("Central", ("PNP", "SNP", "RTK", "JJR", "JND")),
    ("West", ("HSR", "SRS", "FTB", "BHW", "CD")),
    ("South", ("GGN", "FBD", "RWR", "MHG", "NUH", "PWL")),
]

# Posts that are never left vacant in the seed (the tests and the demo flows lean on them).
NEVER_VACANT = {"ADMIN_SECRETARY", "DIRECTOR_ULB", "HOD", "LIT_NODAL", "CE", "HR_ADMIN",
                "CM_WINDOW"}
VACANCY_MODULUS = 50  # about 2% of posts vacant
SPARE_OFFICERS = 20
FIRST_EMP = 100001
MAX_ID = 31

FIRST_NAMES = [
    "Ramesh", "Suresh", "Sunita", "Anil", "Sunil", "Rajesh", "Mukesh", "Kavita", "Poonam",
    "Sandeep", "Pardeep", "Naresh", "Rakesh", "Manoj", "Vinod", "Neelam", "Rekha", "Sushil",
    "Jagdish", "Satish", "Ravinder", "Surender", "Virender", "Mahender", "Rajbir", "Dharamvir",
    "Krishan", "Pooja", "Priyanka", "Anju", "Manju", "Savita", "Kuldeep", "Rohit", "Amit",
    "Deepak", "Ajay", "Vijay", "Sanjay", "Monika", "Renu", "Babita", "Geeta", "Seema",
    "Jitender", "Rajender", "Balwan", "Om Parkash", "Ram Niwas", "Harish", "Yogesh", "Sonia",
]
SURNAMES = [
    "Sharma", "Yadav", "Malik", "Dahiya", "Hooda", "Sangwan", "Kadian", "Jakhar", "Dalal",
    "Rathee", "Khatri", "Goyal", "Bansal", "Garg", "Jain", "Saini", "Kamboj", "Chauhan", "Punia",
    "Sihag", "Beniwal", "Godara", "Lather", "Sheoran", "Phogat", "Ahlawat", "Duhan", "Redhu",
    "Grewal", "Bishnoi", "Mittal", "Aggarwal", "Gupta", "Verma", "Rana", "Kaushik", "Bhardwaj",
    "Tanwar", "Rao", "Chahal", "Nain", "Mor", "Dhull", "Kundu", "Nandal", "Gill", "Sandhu",
    "Arora", "Chawla", "Ahuja", "Kataria", "Dhankhar", "Boora",
]


class Seed:
    def __init__(self):
        self.offices, self.posts = [], []
        self.post_ids = set()

    def office(self, oid, name, kind, parent="", district=""):
        self.offices.append((oid, name, kind, parent, district))

    def post(self, pid, role, office, reports_to=""):
        assert len(pid) <= MAX_ID, pid
        assert pid not in self.post_ids, pid
        assert not reports_to or reports_to in self.post_ids, (pid, reports_to)
        self.post_ids.add(pid)
        self.posts.append((pid, role, office, reports_to))
        return pid


def state_posts(s):
    """Secretariat, CMO, the ULB department, its directorate and zones. Returns the director's
    post and the SE post per zone."""
    s.post("HR-SECT-HR_ADMIN", "HR_ADMIN", "HR-SECT")
    s.post("CMO-CM_WINDOW", "CM_WINDOW", "CMO")
    acs = s.post("ULB-DEPT-ADMIN_SECRETARY", "ADMIN_SECRETARY", "ULB-DEPT")
    director = s.post("DULB-DIRECTOR_ULB", "DIRECTOR_ULB", "DULB", acs)
    hod = s.post("DULB-HOD", "HOD", "DULB", acs)
    s.post("ULB-DEPT-LIT_NODAL", "LIT_NODAL", "ULB-DEPT", hod)
    ce = s.post("DULB-CE", "CE", "DULB", director)
    return director, [s.post(zone_id(i) + "-SE", "SE", zone_id(i), ce)
                      for i in range(len(SE_ZONES))]


def zone_id(i):
    return "ZONE-%d" % (i + 1)


def zone_of(district):
    for i, (_, districts) in enumerate(SE_ZONES):
        if district in districts:
            return i
    raise KeyError(district)


def district_posts(s, code, nulbs, director, se):
    """District administration, e-Office desks, grievance chain, DMC and the district XEN."""
    p = "DIST-" + code
    dc = s.post(p + "-DC", "DC", p)
    s.post(p + "-SP", "SP", p)
    adc = s.post(p + "-ADC", "ADC", p, dc)
    ctm = s.post(p + "-CTM", "CTM", p, adc)
    for i in range(2 if nulbs >= 4 else 1):
        s.post("%s-SDM-%d" % (p, i + 1), "SDM", p, dc)
    supdt = s.post(p + "-SUPERINTENDENT", "SUPERINTENDENT", p, ctm)
    for i in (1, 2):
        s.post("%s-DEALING_ASSISTANT-%d" % (p, i), "DEALING_ASSISTANT", p, supdt)
    saa = s.post(p + "-SAA", "SAA", p)
    faa = s.post(p + "-FAA", "FAA", p, saa)
    s.post(p + "-NODAL_GRIEVANCE", "NODAL_GRIEVANCE", p, faa)
    dmc = s.post(p + "-DMC", "DMC", p, director)
    xen = s.post(p + "-XEN", "XEN", p, se)
    return dmc, xen


def ulb_posts(s, kind, short, district, director, dmc, dist_xen, se):
    _, tag, head_role, house_role = ULB_KINDS[kind]
    office, p = "ULB-" + short, "%s-%s" % (short, tag)
    if kind == "corporation":
        head = s.post(p + "-COMMISSIONER", head_role, office, director)
        s.post(p + "-ACCOUNTS", "ACCOUNTS", office, head)
        xen = s.post(p + "-XEN", "XEN", office, se)
    else:
        s.post(p + "-" + head_role, head_role, office, dmc)
        xen = dist_xen
    s.post(p + "-" + house_role, house_role, office)
    sdo = s.post(p + "-SDO", "SDO", office, xen)
    for i in (1, 2):
        s.post("%s-JE-%d" % (p, i), "JE", office, sdo)


def build():
    s = Seed()
    s.office("HR-SECT", "Haryana Civil Secretariat", "secretariat")
    s.office("CMO", "Chief Minister's Office (CM Window)", "secretariat", "HR-SECT")
    s.office("ULB-DEPT", "Department of Urban Local Bodies", "department", "HR-SECT")
    s.office("DULB", "Directorate of Urban Local Bodies", "directorate", "ULB-DEPT")
    for i, (name, _) in enumerate(SE_ZONES):
        s.office(zone_id(i), "ULB Engineering Zone %s" % name, "zone", "DULB")
    for code, name in DISTRICTS:
        s.office("DIST-" + code, "District Administration " + name, "district",
                 zone_id(zone_of(code)), code)
    ulbs = [(k, u) for k, lst in (("corporation", CORPORATIONS), ("council", COUNCILS),
                                  ("committee", COMMITTEES)) for u in lst]
    for kind, (short, town, dist) in ulbs:
        s.office("ULB-" + short, "%s %s" % (ULB_KINDS[kind][0], town), kind, "DIST-" + dist, dist)

    director, ses = state_posts(s)
    per_district = {}
    for code, _ in DISTRICTS:
        n = sum(1 for _, u in ulbs if u[2] == code)
        per_district[code] = district_posts(s, code, n, director, ses[zone_of(code)])
    for kind, (short, _, dist) in ulbs:
        dmc, xen = per_district[dist]
        ulb_posts(s, kind, short, dist, director, dmc, xen, ses[zone_of(dist)])
    return s, ulbs


def officer_name(i):
    return "%s %s" % (FIRST_NAMES[i % len(FIRST_NAMES)],
                      SURNAMES[(i * 7 + i // len(FIRST_NAMES)) % len(SURNAMES)])


def is_vacant(pid, role):
    return role not in NEVER_VACANT and zlib.crc32(pid.encode()) % VACANCY_MODULUS == 0


def q(v):
    return json.dumps(v)  # a JSON string is a valid YAML double-quoted scalar


def render(s, ulbs):
    kinds = {}
    for kind, _ in ulbs:
        kinds[kind] = kinds.get(kind, 0) + 1
    vacant = [p for p in s.posts if is_vacant(p[0], p[1])]
    out = ["# HRMS directory seed for Haryana: offices, posts, reporting chains, officers.",
           "# GENERATED by scripts/gen_directory.py; edit the script, not this file.",
           "# Model and role table: docs/DIRECTORY.md.",
           "# %d offices (%d zones, %d districts; ULBs: %d corporations, %d councils, "
           "%d committees)," % (len(s.offices), len(SE_ZONES), len(DISTRICTS),
                                kinds["corporation"], kinds["council"], kinds["committee"]),
           "# %d posts (%d vacant), %d officers (%d unposted)."
           % (len(s.posts), len(vacant), len(s.posts) - len(vacant) + SPARE_OFFICERS,
              SPARE_OFFICERS),
           "offices:"]
    for oid, name, kind, parent, district in s.offices:
        line = "  - {id: %s, name: %s, kind: %s" % (oid, q(name), kind)
        line += (", parent: %s" % parent if parent else "")
        line += (", district: %s" % district if district else "") + "}"
        out.append(line)
    out.append("posts:")
    for pid, role, office, sup in s.posts:
        out.append("  - {id: %s, role: %s, office: %s%s}"
                   % (pid, role, office, ", reports_to: %s" % sup if sup else ""))
    out.append("officers:")
    emp = FIRST_EMP
    for pid, role, _, _ in s.posts:
        if is_vacant(pid, role):
            continue
        out.append("  - {id: EMP-%06d, name: %s, post: %s}" % (emp, q(officer_name(emp)), pid))
        emp += 1
    for _ in range(SPARE_OFFICERS):
        out.append("  - {id: EMP-%06d, name: %s}" % (emp, q(officer_name(emp))))
        emp += 1
    return "\n".join(out) + "\n"


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output",
                    default=os.path.join(root, "schemas", "directory", "haryana.yaml"))
    args = ap.parse_args()
    assert (len(CORPORATIONS), len(COUNCILS), len(COMMITTEES)) == (11, 23, 54)
    shorts = [u[0] for u in CORPORATIONS + COUNCILS + COMMITTEES]
    assert len(set(shorts)) == len(shorts) == 88
    assert all(u[2] in dict(DISTRICTS) for u in CORPORATIONS + COUNCILS + COMMITTEES)
    assert sorted(c for _, z in SE_ZONES for c in z) == sorted(c for c, _ in DISTRICTS)
    s, ulbs = build()
    text = render(s, ulbs)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
