"""A participant's own profile: the name printed on their card and the details their record carries. The email
address is their sign-in, changed only by the training office; so is the name once a certification carries it,
since the public verification and the card show it as the holder's."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from learning.accounts.models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "registration_number", "employer"]
        help_texts = {
            "first_name": "As it should be printed on your certification card.",
            "registration_number": "Your professional registration, e.g. your nursing or medical council PIN.",
            "employer": "The hospital or service you work for.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].required = self.fields["last_name"].required = True
        if self.instance.certifications.exists():
            # A holder renamed at will could show a verified certification under anyone's name: the office, who
            # can see the evidence (a marriage certificate, say), changes it in the admin.
            for name in ("first_name", "last_name"):
                self.fields[name].disabled = True
            self.fields["first_name"].help_text = (
                "Your name is on your certification and its public verification. To change it, contact the "
                "training office."
            )


@login_required
@never_cache
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your details are saved.")
        return redirect("dashboard")
    return render(request, "learning/profile.html", {"form": form})
